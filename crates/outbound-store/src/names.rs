//! Closed vocabularies of the workflows' registers (a request's kind, a
//! review's kind, a finding's severity …): one macro, so that each is stored,
//! shown and parsed the same way, and an unknown name is one kind of error.

/// Defines an enum whose variants have stable snake_case names: `ALL`,
/// `as_str`, `Display`, and `FromStr` failing with [`crate::StoreError::Invalid`]
/// that names the vocabulary and its values (and at most 40 characters of the input).
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident, $what:literal, { $($(#[$vm:meta])* $v:ident => $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vm])* $v,)*
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            /// The value as the data files, the CLI and the API spell it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s,)*
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::StoreError;
            fn from_str(s: &str) -> Result<$name, $crate::StoreError> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| {
                        let shown: String = s.chars().take(40).collect();
                        $crate::StoreError::Invalid {
                            problem: format!(
                                "unknown {} `{shown}` (one of: {})",
                                $what,
                                $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                            ),
                        }
                    })
            }
        }
    };
}

pub(crate) use named_enum;
