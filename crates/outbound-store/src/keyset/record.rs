//! A key set's records: their layout ([`Width`]: a 16-byte key and a
//! payload, and whether a key may recur across runs), the record itself,
//! and the first and last day a key was seen ([`Days`]) for the sets whose
//! records combine.

use super::Key;

/// The layout of a set's records: a key and `payload` bytes after it, and
/// whether a key may recur across runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Width {
    payload: usize,
    recur: Recur,
}

/// Whether, and how, a key's records in several runs make one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Recur {
    /// A key is in one run only; in two it is tampering.
    Never,
    /// The records' [`Days`] combine (earliest first day, latest last day).
    Span,
    /// The newest run's record holds.
    Newest,
}

impl Width {
    /// Keys alone (counted subjects, sensitive subjects).
    pub(crate) const KEY: Width = Width {
        payload: 0,
        recur: Recur::Never,
    };
    /// A key and a 4-byte big-endian number (the batch that first carried it).
    pub(crate) const KEY_U32: Width = Width {
        payload: 4,
        recur: Recur::Never,
    };
    /// A key and the first and last day of the year it was seen ([`Days`]).
    /// A key may recur across runs, so a batch writes everyone it carried
    /// without a look-up; a key's records combine into the earliest first
    /// day and the latest last day, when read and when runs merge.
    pub(crate) const KEY_DAYS: Width = Width {
        payload: 4,
        recur: Recur::Span,
    };
    /// A key and a 4-byte value that a later run replaces (a consent's
    /// days, re-imported or withdrawn): the newest run's record holds.
    pub(crate) const KEY_NEWEST: Width = Width {
        payload: 4,
        recur: Recur::Newest,
    };

    /// Bytes per record.
    pub(crate) fn bytes(self) -> usize {
        16 + self.payload
    }

    /// Whether a key may be in several runs.
    pub(super) fn recurs(self) -> bool {
        self.recur != Recur::Never
    }

    /// Two records of one key as one, `b` from the newer run (only for sets
    /// whose keys recur).
    pub(super) fn combine(self, a: u32, b: u32) -> u32 {
        match self.recur {
            Recur::Span => Days::from_value(a).span(Days::from_value(b)).value(),
            Recur::Newest | Recur::Never => b,
        }
    }
}

/// The first and last day of a year (1–366) a key was seen, as a record's
/// value: the first day in the high 16 bits, the last in the low.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Days {
    /// The earliest day of the year.
    pub(crate) first: u16,
    /// The latest day of the year.
    pub(crate) last: u16,
}

impl Days {
    /// Any day of the year: what a batch that knows only its year records,
    /// so a window never misses it (it errs high).
    pub(crate) const ANY: Days = Days {
        first: 1,
        last: 366,
    };

    /// One day of the year (1–366).
    pub(crate) fn on(day: u16) -> Days {
        Days {
            first: day,
            last: day,
        }
    }

    /// The days of a stored value.
    pub(crate) fn from_value(v: u32) -> Days {
        Days {
            first: (v >> 16) as u16,
            last: v as u16,
        }
    }

    /// The stored value.
    pub(crate) fn value(self) -> u32 {
        (u32::from(self.first) << 16) | u32::from(self.last)
    }

    /// Both spans as one: the earlier first day, the later last day.
    pub(crate) fn span(self, o: Days) -> Days {
        Days {
            first: self.first.min(o.first),
            last: self.last.max(o.last),
        }
    }

    /// Whether the days can be a record's: 1 ≤ first ≤ last ≤ 366.
    pub(crate) fn valid(self) -> bool {
        1 <= self.first && self.first <= self.last && self.last <= 366
    }
}

/// A record: its key and its payload as a number (0 without one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Rec {
    pub(crate) key: Key,
    pub(crate) value: u32,
}

impl Rec {
    pub(super) fn read(b: &[u8], w: Width) -> Rec {
        let mut key = [0u8; 16];
        key.copy_from_slice(&b[..16]);
        let value = if w.payload == 4 {
            u32::from_be_bytes([b[16], b[17], b[18], b[19]])
        } else {
            0
        };
        Rec { key, value }
    }

    pub(super) fn write(&self, w: Width, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.key);
        if w.payload == 4 {
            out.extend_from_slice(&self.value.to_be_bytes());
        }
    }
}
