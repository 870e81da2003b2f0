//! The compilation target of a file: which Unity version, and so which C# its compiler takes.
//!
//! The table below is the one place that knows which Unity compiles which C#; the version rule
//! (SPK1020) and the walk's context both read it.

/// A C# language version (major, minor).
pub(crate) type Lang = (u8, u8);

/// First Unity version (major, minor) of each C# language version Unity compiles.
/// Sources: the "C# compiler" page of the Unity manual for each version —
/// docs.unity3d.com/2018.3/Documentation/Manual/CSharpCompiler.html (C# 7.3),
/// docs.unity3d.com/2020.2/Documentation/Manual/CSharpCompiler.html (C# 8.0),
/// docs.unity3d.com/2021.2/Documentation/Manual/CSharpCompiler.html (C# 9.0), and
/// docs.unity3d.com/6000.0/Documentation/Manual/csharp-compiler.html (Unity 6: still C# 9.0).
/// Unity 2017.1–2018.2 with the .NET 4.x runtime compiled C# 6.
const UNITY_CSHARP: &[((u32, u32), Lang)] =
    &[((2017, 1), (6, 0)), ((2018, 3), (7, 3)), ((2020, 2), (8, 0)), ((2021, 2), (9, 0))];

/// The Unity version assumed when none is configured (the generation default, an LTS).
pub(crate) const DEFAULT_UNITY: (u32, u32) = (2022, 3);

/// Reads a Unity version: `2022.3`, `2021.3.15f1`, `6000.0`, or `6` / `6.1` for Unity 6.
pub(crate) fn parse_unity(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.trim().split('.');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = match parts.next() {
        Some(m) => m.parse().ok()?,
        None => 0,
    };
    match major {
        6 => Some((6000, minor)),
        2017..=2023 | 6000..=6999 => Some((major, minor)),
        _ => None,
    }
}

/// The C# version Unity `unity` compiles (C# 4 before 2017.1).
pub(crate) fn csharp_for(unity: (u32, u32)) -> Lang {
    UNITY_CSHARP.iter().rev().find(|(from, _)| *from <= unity).map_or((4, 0), |(_, l)| *l)
}

/// The compilation target of a file: Unity version and its C#.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    pub unity: (u32, u32),
    pub lang: Lang,
}

impl Target {
    /// From `validation.unity_version` (unset or unreadable: [`DEFAULT_UNITY`]).
    pub fn of(version: Option<&str>) -> Target {
        let unity = version.and_then(parse_unity).unwrap_or(DEFAULT_UNITY);
        Target { unity, lang: csharp_for(unity) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unity_versions_map_to_csharp() {
        let lang = |v: &str| csharp_for(parse_unity(v).unwrap());
        assert_eq!(lang("2018.2"), (6, 0));
        assert_eq!(lang("2019.4"), (7, 3));
        assert_eq!(lang("2020.3"), (8, 0));
        assert_eq!(lang("2021.1"), (8, 0));
        assert_eq!(lang("2021.2"), (9, 0));
        assert_eq!(lang("2022.3.10f1"), (9, 0));
        assert_eq!(lang("6000.0"), (9, 0));
        assert_eq!(lang("6"), (9, 0));
        assert_eq!(csharp_for((5, 6)), (4, 0));
        for bad in ["", "abc", "2022.x", "1999.1", "20223"] {
            assert_eq!(parse_unity(bad), None, "{bad}");
        }
    }
}
