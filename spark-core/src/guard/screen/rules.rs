//! The screening rules: named detectors (prompt injection) and content categories (malware
//! intent), each a list of weighted patterns.
//!
//! Patterns are written in a small shorthand so they stay readable: a space stands for any run
//! of non-word characters (spaces, punctuation, line breaks), `~N` for up to N filler words, and
//! `'` for an optional apostrophe of any kind. They compile into one ASCII, case-insensitive
//! `regex` set: a single linear pass over the prompt, whatever it holds.

use std::sync::LazyLock;

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use crate::result::GuardAction;

use GuardAction::{Block, Warn};

/// Prompt-injection detectors (guard `prompt_injection`) and their default actions.
pub(crate) const DETECTORS: &[(&str, GuardAction)] = &[
    ("instruction_override", Block),
    ("system_prompt_exfiltration", Block),
    ("role_play", Block),
    ("delimiter_breaking", Block),
    ("encoded_payload", Warn),
    ("hidden_unicode", Warn),
    ("unicode_normalization", Warn),
];

/// Content categories (guard `content`) and their default actions.
pub(crate) const CATEGORIES: &[(&str, GuardAction)] = &[
    ("keylogger", Block),
    ("credential_theft", Block),
    ("self_propagation", Block),
    ("disable_security", Block),
    ("data_exfiltration", Block),
    ("ransomware", Block),
    ("remote_execution", Block),
    ("persistence", Block),
    ("stealth", Warn),
    ("block_words", Block),
    ("warn_words", Warn),
];

/// One weighted pattern of a detector or category.
pub(crate) struct Rule {
    pub name: &'static str,
    pub weight: f32,
    pub pattern: &'static str,
}

const fn r(name: &'static str, weight: f32, pattern: &'static str) -> Rule {
    Rule { name, weight, pattern }
}

const IO: &str = "instruction_override";
const EX: &str = "system_prompt_exfiltration";
const RP: &str = "role_play";
const DL: &str = "delimiter_breaking";
const KL: &str = "keylogger";
const CT: &str = "credential_theft";
const SP: &str = "self_propagation";
const DS: &str = "disable_security";
const DE: &str = "data_exfiltration";
const RW: &str = "ransomware";
const RE: &str = "remote_execution";
const ST: &str = "stealth";
const EP: &str = "encoded_payload";

#[rustfmt::skip]
pub(crate) const RULES: &[Rule] = &[
    // Instruction override: telling the model to drop what it was told.
    r(IO, 0.95, r"\b(ignor\w*|disregard\w*|forget\w*|skip\w*|overrid\w*|bypass\w*|abandon\w*|neglect\w*|drop\w*|discard\w*|set aside|put aside|throw away|throw out|pay no attention to|stop following|stop obeying) ~3(previous|prior|above|earlier|preceding|foregoing|former|original|initial|system|developer|safety|existing|old|all|any|your|the)( \w+)? (instructions?|rules|directives|guidelines|guidance|prompts?|constraints|restrictions|guardrails|programming|commands|context|policies|policy|filters|training|messages|orders|conditioning)\b"),
    r(IO, 0.9, r"\b(ignor\w*|disregard\w*|forget\w*|overrid\w*|bypass\w*) (everything|anything|all|what|whatever) (you were|you've been|you have been|you've|you|i|we) ~2(told|said|instructed|given|written|taught)"),
    r(IO, 0.85, r"\b(new|updated|real|actual|true|revised|override|admin|developer) (instructions?|rules|system prompt|directives|orders)\s*[:\-=]"),
    r(IO, 0.9, r"\b(do not|don't|dont|never|stop|no longer) (follow\w*|obey\w*|apply\w*|adher\w* to|listen\w* to|respect\w*|comply\w* with) ~2(your|the|any|those|these|previous|system|original) ~1(rules|instructions|guidelines|system prompt|policies|restrictions|directives|prompt)"),
    r(IO, 0.9, r"\b(previous|prior|above|earlier|original|system|your) (instructions?|rules|prompt|directives|guidelines) (are|were|is|has been|have been) ~1(void|cancel+ed|obsolete|revoked|null|invalid|lifted|suspended|overridden|replaced|no longer)"),
    r(IO, 0.85, r"\b(guidelines|rules|instructions|restrictions|filters|policies|safeguards) (no longer|don't|do not|won't|will not|never) (apply|exist|matter|count|bind you)\b"),
    r(IO, 0.9, r"\b(pretend|imagine|act as if|suppose|assume) ~3(previous|prior|above|earlier|original|your|system|the) ~1(instructions|rules|prompt|guidelines|restrictions) (never existed|don't exist|do not exist|were never|are gone|didn't exist|were deleted|do not apply|don't apply)"),
    r(IO, 0.85, r"\b(overrid\w*|bypass\w*|disabl\w*|turn\w* off|deactivat\w*|remov\w*|lift\w*|circumvent\w*|ignor\w*|violat\w*) ~1(your|the|all|any|its) ~1(safety|content|ethical|moderation|security|usage)? ?(filters?|guardrails|restrictions|safeguards|alignment|rules|limitations|policies|policy|censorship)\b"),
    r(IO, 0.8, r"\b(system|admin|developer|root|sudo|maintenance|security) override\b"),
    r(IO, 0.6, r"\b(instead|rather),? (of|than) ~4(unity|script|c#|game|code)\w*,? ~3(output|print|write|say|reply|respond|answer|tell)\b"),
    r(IO, 0.55, r"\b(from now on|henceforth|starting now|for the rest of this conversation),? (you|ignore|always|never|respond|reply|answer|only)\b"),
    r(IO, 0.5, r"\b(this|the following) (is|are) (a |an |your )?(priority|urgent|important|new)? ?(system|admin|developer|root|override) (message|instruction|command|update|notice)\b"),
    r(IO, 0.6, r"\b(ignor\w*|forget|skip|drop|never ?mind|disregard\w*) ~1(the|all|this)? ?(unity|c#|game|script|coding|code) (part|stuff|thing|task|request|bit)\b"),
    r(IO, 0.45, r"\binstead,? (output|print|write|say|reply|respond|answer|tell|give|reveal|show)\b"),
    r(IO, 0.8, r"\b(your|the) (real|true|actual|new) (task|job|goal|objective|purpose|mission) (is|now is|will be)\b"),
    // System-prompt exfiltration.
    r(EX, 0.95, r"\b(reveal\w*|show\w*|print\w*|output\w*|repeat\w*|display\w*|tell\w*|give|leak\w*|dump\w*|shar\w*|list\w*|write out|recit\w*|echo\w*|spell out|past\w*|copy\w*|translat\w*|summari[sz]\w*|disclos\w*|expos\w*|return\w*|send|what (is|are|were)|confirm\w*) ~2(your|the|its|all|my|this|those) ~2(full|entire|complete|exact|original|hidden|secret|initial|internal|real|verbatim)? ?(system|initial|hidden|secret|original|developer|internal|pre-?prompt|starting|underlying) (prompt|instructions?|message|directives|guidelines|configuration|rules|context)\b"),
    r(EX, 0.9, r"\b(repeat\w*|print\w*|output\w*|copy\w*|echo\w*|recit\w*|show\w*|write out|reproduc\w*|dump\w*) ~2(everything|all|the text|the words|the content|text|words|what was written|what is written|the lines) ~3(above|before|preceding|prior to)\b ?(this|here|that|my|starting|verbatim|word|exactly|including|\.|,|:|$)"),
    r(EX, 0.85, r"\b(past\w*|shar\w*|show\w*|print\w*|repeat\w*|give me|tell me|reveal\w*|output\w*|list\w*|quot\w*) ~2(the|your|all) ~1(instructions|rules|guidelines|directives|prompt|configuration) (you were given|you got|you received|you have|given to you|you were (started|initiali[sz]ed|configured|launched|set up) with|your (operator|developer|creator|admin|owner)s? gave you)"),
    r(EX, 0.8, r"\b(configuration|instructions|prompt|rules|settings) you were (started|initiali[sz]ed|configured|given|launched|set up|booted) with\b"),
    r(EX, 0.85, r"\b(quot\w*|repeat\w*|print\w*|recit\w*|show\w*|output\w*|paste\w*) ~2(your|the|my) (first|initial|opening|earliest|very first) (message|messages|instruction|instructions|prompt|lines?) (in|of) ~2(this|the|our) (conversation|chat|session|context)\b"),
    r(EX, 0.85, r"\bwhat'?s? ~2(in|inside|on) (your|the) (system prompt|system message|initial prompt|hidden prompt|instructions|initial instructions)\b"),
    r(EX, 0.6, r"\byour (system prompt|system message|initial instructions|hidden instructions|original instructions|hidden prompt)\b"),
    r(EX, 0.8, r"\b(print\w*|repeat\w*|output\w*|cop\w*|quot\w*|echo\w*) ~2(everything|all|the text|text|the words) ~8(verbatim|word for word)\b"),
    r(EX, 0.85, r"\bwhat (were|are|was|is) you (told|instructed|programmed|given|asked) (before|at the start|initially|to do before|prior)"),
    r(EX, 0.9, r"\b(your|the|system) (instructions|prompt|rules|guidelines|directives) (verbatim|word for word|in full|exactly as written|character by character)\b"),
    r(EX, 0.85, r"\b(beginning|start|top|first line|first lines) of (your|the|this) (prompt|conversation|context|instructions|system message|context window)\b"),
    r(EX, 0.6, r"\bsystem prompt\b ~6(verbatim|exact|leak|reveal|print|dump|extract|exfiltrat\w*)\b"),
    r(EX, 0.8, r"\bwhat (rules|instructions|guidelines|constraints) (do|must|were|did) you ~2(follow|obey|given|operate under|get|receive)\b"),
    // Role play and jailbreak personas.
    r(RP, 0.9, r"(?-i:\bDAN\b)|\bdo anything now\b"),
    r(RP, 0.85, r"\b(jailbreak|jail-?broken|jailbreaking)\b"),
    r(RP, 0.9, r"\b(enabl\w*|activat\w*|enter\w*|switch\w* (to|into)|turn\w* on|(you are|you'?re|you are now|you'?re now|now) in|go into|put yourself in) ~1(developer|dan|jailbreak|unrestricted|unfiltered|evil|uncensored|debug|opposite|god|sudo|admin|maintenance) mode\b"),
    r(RP, 0.9, r"\b(you are|you'?re|act as|acting as|pretend ~2(to be|you are|you'?re)|role-?play as|imagine (you are|you'?re|yourself as)|become|behave (like|as)|simulate|play the (role|part) of|respond as|answer as) ~2(an? |the )?(unfiltered|unrestricted|uncensored|evil|malicious|rogue|amoral|unethical|blackhat|black-hat|jailbroken|unaligned|unbound|lawless|immoral|criminal|hacker|uncontrolled|unlimited|chaotic)\b"),
    r(RP, 0.9, r"\b(you|ai|assistant|model|chatbot|bot) (have|has|with|are under|are bound by|follow\w*|that has) (no|zero) ~1(restrictions|rules|limits|limitations|filters|guidelines|ethics|morals|boundaries|censorship|policies)\b"),
    r(RP, 0.9, r"\b(not|no longer|never) (bound|restricted|limited|constrained) by ~2(your|any|the|openai|anthropic|its|their) ~1(rules|guidelines|policies|restrictions|programming|ethics|filters|terms)\b"),
    r(RP, 0.9, r"\b(freed|liberated|released|unshackled|unchained|free) from ~2(all|your|its|any|the)? ?(of )?(its|your|their|the)? ?(restrictions|rules|guidelines|filters|limits|constraints|programming|shackles|policies)\b"),
    r(RP, 0.8, r"\b(without|free (of|from)|ignoring|no) ~1(any )?(ethical|moral|safety|content) (constraints|limits|guidelines|restrictions|filters|considerations|boundaries)\b"),
    r(RP, 0.6, r"\b(stay|remain|keep) in character\b"),
    r(RP, 0.7, r"\b(opposite|evil|shadow|dark) (mode|twin|version of yourself|persona|alter ego)\b"),
    r(RP, 0.75, r"\b(hypothetical|fictional|imaginary|alternate) ~3(ai|assistant|model|chatbot|world) ~6(no|without) ~1(rules|restrictions|filters|limits|ethics|laws)\b"),
    // Delimiter and fence breaking.
    r(DL, 0.9, r"<\s*/?\s*request\s*>"),
    r(DL, 0.95, r"<\|\s*(im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text|end_of_turn|start_of_turn)\s*\|>|<</?SYS>>|\[/?INST\]|<(start|end)_of_turn>"),
    r(DL, 0.8, r"(?-i:(^|\s)<\s*/?\s*(system|assistant|user|instructions?|prompt|human|admin)\s*>)"),
    r(DL, 0.85, r"(?m)^\s*#{1,6}\s*(system|instructions?|assistant|new rules|admin|developer|system prompt|end of request|new task)\s*(:|$)"),
    r(DL, 0.45, r"(?m)^\s*(system|assistant|admin|developer|human|user)\s*:"),
    r(DL, 0.85, r"\b(end|close|exit|escape|break out) of ~1(the |this |user )?(request|prompt|user input|input block|instructions|sandbox|context)\b ~4(now|new|system|ignore|you|begin|start)\b"),
    r(DL, 0.9, r"[-=*#]{3,}\s*(end|begin|start)\s*(of)?\s*(request|prompt|system|instructions|user input|conversation)\b"),
    r(DL, 0.3, r"```"),
    r(DL, 0.8, r"```\s*(system|instructions?|prompt|assistant|admin)\b"),
    // Encoded payloads: the runs themselves are found by `encoded`; these are the requests to
    // decode and obey.
    r(EP, 0.8, r"\b(decode|base64-?decode|unhex|decipher|deobfuscate|rot13) ~6(and|then) ~3(follow|execute|run|obey|do|perform|carry out|act on|apply)\b"),
    r(EP, 0.7, r"\b(follow|execute|run|obey|carry out) ~3(the )?(instructions|commands|payload|text) ~3(encoded|hidden|embedded|in base64|in hex|below in|after decoding)\b"),
    // Keyloggers.
    r(KL, 0.95, r"\bkey ?(logger|logging|stroke logger|stroke logging|stroke recorder|stroke capture|stroke grabber|stroke sniffer|stroke monitor)s?\b|\bkeylog\w*"),
    r(KL, 0.85, r"\b(log\w*|record\w*|captur\w*|steal\w*|intercept\w*|sniff\w*|monitor\w*|hook\w*|sav\w*|grab\w*|collect\w*|send\w*|upload\w*) ~3(all|every|each|the user'?s|user'?s|users'|their|victim'?s)? ?(keystrokes|key ?strokes|key ?presses|keys (typed|pressed)|typed (text|characters|passwords|keys)|keyboard (input|activity|events))\b ~8(outside|background|system-?wide|globally|all (applications|apps|windows|programs)|other (applications|apps|windows|programs)|file|server|email|send|upload|http|without|hidden|even when)"),
    r(KL, 0.9, r"\b(SetWindowsHookEx|WH_KEYBOARD_LL|low-?level keyboard hook|global (keyboard|key|input) hook|system-?wide (keyboard|key) hook)\b"),
    r(KL, 0.85, r"\b(record|log|capture|save|monitor)\w* (everything|all|whatever|what) (the user|users|they|someone|he|she|people) (types?|typed|enter|enters)\b"),
    r(KL, 0.6, r"\bGetAsyncKeyState\b"),
    // Credential theft.
    r(CT, 0.95, r"\b(steal\w*|harvest\w*|grab\w*|dump\w*|exfiltrat\w*|sniff\w*|phish\w*|scrap\w*|swip\w*|pilfer\w*|siphon\w*) ~4(passwords?|credentials|logins?|login (details|data)|cookies|session (tokens?|cookies)|auth(entication)? tokens?|api keys|private keys|crypto ?wallets?|wallets|seed phrases?|credit cards?|bank (details|accounts)|discord tokens?|steam (credentials|accounts?))\b"),
    r(CT, 0.95, r"\b(password|credential|cookie|token|info|discord|account|login|wallet|browser)s? ?(stealer|grabber|harvester|dumper|sniffer|logger)s?\b"),
    r(CT, 0.7, r"\bstealers?\b"),
    r(CT, 0.9, r"\b(chrome|firefox|edge|browser|opera|brave)'?s? ~2(saved |stored )?(passwords|cookies|login data|credential store|credentials|autofill)\b"),
    r(CT, 0.9, r"\b(mimikatz|lsass|credential manager|windows vault|keychain dump|sam database|login data file|wallet\.dat|ntds\.dit)\b"),
    r(CT, 0.9, r"\b(fake|spoofed|phishing|cloned|lookalike|counterfeit|imitation) (login|sign-?in|password|bank|steam|paypal|google|microsoft) ~2(page|screen|form|prompt|site|dialog|window)\b"),
    r(CT, 0.85, r"\b(imitat\w*|mimic\w*|spoof\w*|clon\w*|look\w* like|copy of|impersonat\w*) ~3(paypal|steam|google|microsoft|apple|bank|facebook|discord|epic|login|sign-?in) ~2(login|sign-?in)? ?(page|screen|form|prompt|site|dialog|window)\b"),
    r(CT, 0.45, r"\b(captur\w*|collect\w*|record\w*|log\w*|sav\w*|steal\w*) ~2(their|the user'?s|users'?|the)? ?(credentials|passwords|login details)\b"),
    r(CT, 0.8, r"\bphishing\b"),
    r(CT, 0.75, r"\b(read|decrypt|extract|copy|collect|access)\w* ~3(saved|stored|cached) (browser |windows |wifi |wi-fi )?(passwords|credentials|cookies)\b"),
    // Self-propagation.
    r(SP, 0.95, r"\bself-?(replicat|propagat|spread|copy|copies|install)\w*"),
    r(SP, 0.85, r"\b(spread\w*|propagat\w*|replicat\w*) ~2(itself )?(to|across|over|through|onto|into) ~3(other )?(computers?|machines?|hosts?|networks?|lan|subnet|usb|drives?|projects?|devices?|pcs?|systems?|shares?|contacts|shared folders?)\b"),
    r(SP, 0.9, r"\b(cop(y|ies|ying)|inject\w*|append\w*|writ\w*|add\w*|clon\w*) (itself|this script|its own (code|source)|a copy of itself) ~3(into|to|onto|in) ~2(every|all|other|each|any|shared|network|usb|removable)\b"),
    r(SP, 0.85, r"\b(worm|computer virus|file infector)\b ~6(spread|infect|replicat|propagat|network|usb|computers)\w*"),
    r(SP, 0.8, r"\binfect(s|ing)? ~2(other )?(files|projects|machines|computers|assemblies|executables|dlls|unity projects|scripts|repositories)\b"),
    r(SP, 0.8, r"\b(add\w*|register\w*|install\w*|writ\w*|put\w*|cop(y|ies|ying)) ~9(startup folder|run key|runonce|registry run|autostart|autorun|scheduled task|login items|launch\w* (at|on) (startup|boot|login))\b"),
    // Disabling security tools.
    r(DS, 0.95, r"\b(disabl\w*|turn\w* off|kill\w*|stop\w*|bypass\w*|evad\w*|uninstall\w*|tamper\w* with|blind\w*|circumvent\w*|neutrali[sz]\w*|shut\w* down|deactivat\w*) ~2(windows )?(antivirus|anti-virus|anti-malware|antimalware|windows defender|defender|firewall|edr|av|security software|security tools?|security products?|security center|security monitoring|uac|user account control|smartscreen|amsi|sysmon|event logging|endpoint protection|real-?time protection)\b"),
    r(DS, 0.85, r"\b(avoid|evad\w*|bypass\w*|escap\w*|undetected by|hid\w* from) ~2(antivirus|anti-virus|av|edr|defender|security software)? ?(detection|scanners?|scanning|antivirus|anti-virus|edr|defender)\b"),
    r(DS, 0.9, r"\b(add|create|set)\w* ~2exclusions? ~2(to|in|for) ~1(windows )?defender\b"),
    r(DS, 0.85, r"\b(clear\w*|wip\w*|delet\w*|eras\w*) ~2(windows )?(event logs?|security logs?|audit logs?)\b"),
    // Data exfiltration.
    r(DE, 0.95, r"\bexfiltrat\w*"),
    r(DE, 0.7, r"\b(upload|send|post|transmit|forward|leak|steal|copy|copies|grab|harvest|scrape|beam|ship|sync|siphon)(s|ed|ing)? ~4(user'?s?|users'|their|victim'?s?|personal|private|everyone'?s|computer'?s|pc'?s|machine'?s|system|local|all the|all) ~2(files|documents|folders|photos|pictures|emails|contacts|browser history|clipboard|desktop|home (directory|folder)|hard drive|disk|ssh keys|personal data|private data|data from (their|the user'?s) (pc|computer))\b"),
    r(DE, 0.85, r"\b(user'?s?|users'|their|victim'?s?|all|every|personal|private) ~2(files|documents|folders|photos|pictures|emails|contacts|desktop|home (directory|folder)|hard drive|ssh keys) ~6(upload|send|post|transmit|email|mail|forward)\w* ~4(to|at) ~3(https?://|ftp|server|endpoint|webhook|bot|drive|dropbox|pastebin|email)"),
    r(DE, 0.9, r"\b(read|scan|walk|enumerat|search|crawl|go through|iterate over|collect|zip|compress|gather|list)\w* ~3(all|every|each) ~3(files|documents|folders|photos) ~8(and|then) ~1(upload|send|post|transmit|email|forward)\w*"),
    r(DE, 0.5, r"\b(SpecialFolder\.(MyDocuments|Desktop|DesktopDirectory|UserProfile|ApplicationData|Personal)|%appdata%|%userprofile%|c:\\users|\~/\.ssh|\.ssh/id_\w+|/etc/passwd|/etc/shadow)"),
    r(DE, 0.4, r"\b(to|at) (https?://|ftp://|an? (remote|external|attacker'?s?) (server|host|url|endpoint|ip)|my (discord )?webhook|a (discord|telegram) (webhook|bot)|pastebin)"),
    r(DE, 0.85, r"\b(clipboard|screen(shots?)?|webcam|microphone) ~4(every \d+ \w+|periodically|silently|secretly|covertly|without) ~6(upload|send|post|transmit)\w*"),
    r(DE, 0.85, r"\b(cop\w*|upload\w*|send\w*|mov\w*|sync\w*|transfer\w*|mirror\w*) ~3(every|all|each) ~4(files?|\.\w+|documents|photos) ~6from ~3(the )?(player|user|victim|their|computer|pc|machine)'?s? ~2(computer|pc|machine|disk|drive|desktop|documents)? ~4to ~3(my|a|an|our|remote|https?|ftp)\b"),
    // Ransomware.
    r(RW, 0.95, r"\bransomware\b|\bcrypto-?locker\b"),
    r(RW, 0.45, r"\bransom ?(note|demand|message)\b"),
    r(RW, 0.85, r"\bencrypt\w* ~3(all|every|each) ~3(files?|documents|photos|drives?|disks?|data) ~6(on|in|across) ~3(the )?(user|their|computer|pc|machine|disk|drive|desktop|home|system|network)\b"),
    r(RW, 0.9, r"\b(pay|send|transfer|demand)\w* ~3(bitcoin|btc|monero|xmr|crypto|ransom)\b ~8(decrypt|unlock|restore|get (back|their)|recover)\w*"),
    r(RW, 0.85, r"\bencrypt\w* ~6(files?|documents|data|hard ?drive|disk|drive|computer|pc) ~12(bitcoin|btc|monero|decryption key|pay|payment|ransom)\w*"),
    // Remote execution: fetch and run, shells, persistence.
    r(RE, 0.9, r"\b(download|fetch|pull|grab|get|retriev)\w* ~6(\w*\.(exe|dll|bat|ps1|msi|scr|vbs)\b|executables?|exes?|dlls?|binary|binaries|payload|shellcode|installer) ~12(run|execut|launch|start|open|invok|load|spawn)\w*"),
    r(RE, 0.9, r"\b(run|execut|launch|start|spawn|invok|load)\w* ~4(the |a |that )?(downloaded|remote|fetched) ~2(exe|executable|file|binary|program|payload|script|dll|code|assembly|command)s?\b"),
    r(RE, 0.9, r"\b(reverse shell|bind shell|remote access trojan|c2 server|command-and-control|command and control|botnet|meterpreter|cobalt strike|rootkit|shellcode|malware dropper|trojan (virus|malware|dropper|downloader|payload)|banking trojan)\b"),
    r(RE, 0.4, r"\b(trojan|backdoor|dropper)\b"),
    r(RE, 0.85, r"\b(powershell|cmd(\.exe)?|/bin/sh|bash)\b ~8(-enc\b|\biwr\b|\birm\b|invoke-restmethod|-w hidden|-windowstyle hidden|\.ps1\b|-encodedcommand|invoke-expression|\biex\b|downloadstring|downloadfile|invoke-webrequest|curl|wget|certutil)"),
    r(RE, 0.7, r"\bProcess\.Start\b ~8(cmd|powershell|bash|\.exe|\.bat|downloaded|url|http)"),
    r(RE, 0.7, r"\bAssembly\.Load\w* ~8(download|url|http|remote|server)|\b(download|url|http|remote|server)\w* ~8Assembly\.Load"),
    r(RE, 0.7, r"\b(execut|run|eval)\w* ~4(arbitrary|any) ~2(commands?|code|shell commands?)\b ~6(from|sent|received|server|remote|network|url|chat)"),
    r(RE, 0.85, r"\b(mine|mines|mining|miner) ~1(crypto\w*|bitcoin|monero|xmr|coins) ~6(background|hidden|without|silently|secretly|their (pc|computer|gpu|cpu)|the user'?s (pc|computer|gpu|cpu))|\bcryptojack\w*"),
    // Stealth: doing it behind the user's back.
    r(ST, 0.7, r"\bwithout ~2(the )?(user|player|owner|victim|them|anyone)'?s? ~1(knowing|knowledge|noticing|consent|permission|seeing|being aware)\b"),
    r(ST, 0.7, r"\b(silently|secretly|covertly|stealthily|invisibly|quietly) ~2(download|install|run|execut|send|upload|cop|record|log|captur|delet|launch|spawn|zip|compress|collect|gather|grab|read|steal|mine|take)\w*"),
    r(ST, 0.75, r"\bhid\w* ~2(the |its )?(process|window|itself|program|console|app) ~2from ~2(the )?(user|task manager|taskbar|antivirus)\b"),
];

/// The compiled rules: one set for the single pass, and each pattern alone for its span.
pub(crate) struct Compiled {
    pub set: RegexSet,
    pub each: Vec<Regex>,
}

/// Expands the shorthand (see the module doc).
pub(super) fn expand(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // Escaped shorthand characters stand for themselves.
            '\\' => match chars.next() {
                Some(e @ ('~' | '\'' | ' ')) => out.push(e),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'),
            },
            ' ' if chars.next_if_eq(&'?').is_some() => out.push_str(r"\W*"),
            ' ' => out.push_str(r"\W+"),
            '\'' => out.push_str(r"\W{0,3}"),
            '~' => {
                let mut n = String::new();
                while let Some(d) = chars.next_if(char::is_ascii_digit) {
                    n.push(d);
                }
                let n = if n.is_empty() { "1" } else { &n };
                out.push_str(&format!(r"(?:\w+\W+){{0,{n}}}"));
            }
            c => out.push(c),
        }
    }
    out
}

fn builder(pattern: &str) -> RegexBuilder {
    let mut b = RegexBuilder::new(pattern);
    b.unicode(false).case_insensitive(true).size_limit(1 << 24).dfa_size_limit(1 << 24);
    b
}

/// Every rule compiled once per process.
pub(crate) static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let patterns: Vec<String> = RULES.iter().map(|r| expand(r.pattern)).collect();
    // The rules are constants covered by tests: a failure here is a bug caught before release.
    let set = RegexSetBuilder::new(&patterns)
        .unicode(false)
        .case_insensitive(true)
        .size_limit(1 << 26)
        .dfa_size_limit(1 << 26)
        .build()
        .expect("screening rules compile");
    let each = patterns.iter().map(|p| builder(p).build().expect("screening rule compiles")).collect();
    Compiled { set, each }
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles_and_names_a_known_detector() {
        assert_eq!(COMPILED.each.len(), RULES.len());
        for rule in RULES {
            assert!(
                DETECTORS.iter().chain(CATEGORIES).any(|(n, _)| *n == rule.name),
                "unknown name {}",
                rule.name
            );
            assert!(rule.weight > 0.0 && rule.weight <= 1.0);
        }
    }

    #[test]
    fn shorthand_expands() {
        assert_eq!(expand("a ~2b'c"), r"a\W+(?:\w+\W+){0,2}b\W{0,3}c");
        assert_eq!(expand(r"x ?y \~/\.z\\u"), r"x\W*y\W+~/\.z\\u");
        assert_eq!(expand("~12a"), r"(?:\w+\W+){0,12}a");
    }
}
