//! `options.signal`: an `AbortSignal` that cancels a generation (the Promise rejects with code
//! `cancelled`, and dropping the work stops the provider call).

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::channel::oneshot;
use napi::Env;
use napi::ValueType;
use napi::bindgen_prelude::{
    FnArgs, FromNapiValue, Function, JsObjectValue, JsValue, Object, TypeName, Unknown, ValidateNapiValue,
    sys,
};

use crate::args::ArgError;

/// Fires when the signal aborts (or at once when it already had).
pub struct Abort {
    fired: oneshot::Receiver<()>,
    flag: Aborted,
}

/// Whether the signal fired, set on the JavaScript thread while the `abort` event is dispatched
/// (so a check made after a callback returns sees an abort made inside it).
#[derive(Clone, Default)]
pub struct Aborted(Arc<AtomicBool>);

impl Aborted {
    /// Whether the signal fired.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    fn set(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Abort {
    /// The flag, for checks between steps.
    pub fn flag(&self) -> Aborted {
        self.flag.clone()
    }

    /// Resolves when the signal fires; never when the listener went away without firing.
    pub async fn fired(self) {
        if self.fired.await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Stands for `options.signal` in `GenerateOptions` so the generated `index.d.ts` lists it; the
/// signal itself is read by [`from_options`] (napi's own `AbortSignal` only serves `AsyncTask`s).
pub struct SignalField;

impl TypeName for SignalField {
    fn type_name() -> &'static str {
        "AbortSignal"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for SignalField {}

impl FromNapiValue for SignalField {
    unsafe fn from_napi_value(_env: sys::napi_env, _value: sys::napi_value) -> napi::Result<Self> {
        Ok(SignalField)
    }
}

fn arg(e: napi::Error) -> ArgError {
    ArgError(format!("options.signal: {}", e.reason))
}

/// Reads `options.signal` (an `AbortSignal`, or absent) and subscribes to its `abort` event.
pub fn from_options(options: &Unknown<'_>) -> Result<Option<Abort>, ArgError> {
    if options.get_type().map_err(arg)? != ValueType::Object {
        return Ok(None);
    }
    // SAFETY: the type was checked just above.
    let options = unsafe { options.cast::<Object>() }.map_err(arg)?;
    let signal: Unknown<'_> = options.get_named_property("signal").map_err(arg)?;
    match signal.get_type().map_err(arg)? {
        ValueType::Undefined | ValueType::Null => return Ok(None),
        ValueType::Object => {}
        _ => return Err(ArgError("options.signal must be an AbortSignal".into())),
    }
    // SAFETY: the type was checked just above.
    let signal = unsafe { signal.cast::<Object>() }.map_err(arg)?;
    let aborted: Unknown<'_> = signal.get_named_property("aborted").map_err(arg)?;
    let listen: Unknown<'_> = signal.get_named_property("addEventListener").map_err(arg)?;
    if aborted.get_type().map_err(arg)? != ValueType::Boolean
        || listen.get_type().map_err(arg)? != ValueType::Function
    {
        return Err(ArgError("options.signal must be an AbortSignal".into()));
    }
    let (tx, rx) = oneshot::channel();
    let flag = Aborted::default();
    // SAFETY: the type was checked just above.
    if unsafe { aborted.cast::<bool>() }.map_err(arg)? {
        flag.set();
        let _ = tx.send(());
        return Ok(Some(Abort { fired: rx, flag }));
    }
    let env = Env::from_raw(signal.value().env);
    let tx = RefCell::new(Some(tx));
    let on_abort_flag = flag.clone();
    let on_abort = env
        .create_function_from_closure::<(), (), _>("onSparkAbort", move |_| {
            on_abort_flag.set();
            if let Some(tx) = tx.borrow_mut().take() {
                let _ = tx.send(());
            }
            Ok(())
        })
        .map_err(arg)?;
    // SAFETY: the type was checked just above.
    let listen =
        unsafe { listen.cast::<Function<'_, FnArgs<(&str, Function<'_, (), ()>)>, ()>>() }.map_err(arg)?;
    listen.apply(signal, FnArgs::from(("abort", on_abort))).map_err(arg)?;
    Ok(Some(Abort { fired: rx, flag }))
}
