//! Server-Sent Events decoder shared by the HTTP providers.
// PLACEHOLDER: implemented by the providers work (see issue 2).
