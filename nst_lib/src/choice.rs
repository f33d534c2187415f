//! Settings with a fixed set of named values (pooling, presets, norms, ...). One list per type
//! gives its parsing (with aliases), its names, the error for an unknown value and, with the
//! `cli` feature, the command line's choices and their help — so they cannot drift apart.

use crate::error::{NstError, Result};

/// A setting chosen from a fixed list of names.
pub trait Choice: Sized + Copy + PartialEq + 'static {
    /// What the setting is called in messages ("pooling").
    const WHAT: &'static str;
    /// Every value with its name, other accepted spellings, and one line of help.
    const ALL: &'static [(Self, &'static str, &'static [&'static str], &'static str)];

    /// The value's name, as `parse` accepts it and the CLI shows it.
    fn name(&self) -> &'static str {
        Self::ALL.iter().find(|(v, ..)| v == self).map(|(_, n, ..)| *n).unwrap_or("?")
    }

    /// Case, surrounding spaces and `_` versus `-` do not matter.
    fn parse(s: &str) -> Result<Self> {
        let norm = |x: &str| x.trim().to_ascii_lowercase().replace('_', "-");
        let want = norm(s);
        Self::ALL
            .iter()
            .find(|(_, name, aliases, _)| norm(name) == want || aliases.iter().any(|a| norm(a) == want))
            .map(|(v, ..)| *v)
            .ok_or_else(|| NstError::UnknownChoice { what: Self::WHAT, value: s.into(), valid: Self::valid() })
    }

    /// "max, avg": the names, for messages.
    fn valid() -> String {
        Self::ALL.iter().map(|(_, n, ..)| *n).collect::<Vec<_>>().join(", ")
    }
}

/// Implements [`Choice`] (plus `FromStr`, `Display`, an inherent `parse`, and clap's `ValueEnum`
/// with the `cli` feature) from one list:
/// `choices!(Pooling, "pooling", [Max => "max", [], "help"; Avg => "avg", ["average"], "help"]);`
#[macro_export]
macro_rules! choices {
    ($t:ident, $what:expr, [$($v:ident => $name:expr, [$($alias:expr),*], $help:expr);+ $(;)?]) => {
        impl $crate::choice::Choice for $t {
            const WHAT: &'static str = $what;
            const ALL: &'static [(Self, &'static str, &'static [&'static str], &'static str)] =
                &[$(($t::$v, $name, &[$($alias),*], $help)),+];
        }
        impl $t {
            /// Parse a name (or an alias); an unknown one is an error listing the valid names.
            pub fn parse(s: &str) -> $crate::error::Result<Self> {
                <Self as $crate::choice::Choice>::parse(s)
            }
            /// The value's name.
            pub fn as_str(&self) -> &'static str {
                <Self as $crate::choice::Choice>::name(self)
            }
        }
        impl std::str::FromStr for $t {
            type Err = $crate::error::NstError;
            fn from_str(s: &str) -> $crate::error::Result<Self> {
                <Self as $crate::choice::Choice>::parse(s)
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(<Self as $crate::choice::Choice>::name(self))
            }
        }
        #[cfg(feature = "cli")]
        impl clap::ValueEnum for $t {
            fn value_variants<'a>() -> &'a [Self] {
                &[$($t::$v),+]
            }
            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                let (_, name, aliases, help) =
                    <Self as $crate::choice::Choice>::ALL.iter().find(|(v, ..)| v == self)?;
                Some(clap::builder::PossibleValue::new(*name).aliases(aliases.iter().copied()).help(*help))
            }
        }
    };
}
