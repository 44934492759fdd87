//! A small, strict CBOR (RFC 8949) decoder for WebAuthn's attestation objects and COSE keys: definite
//! lengths only, bounded depth and size, no tags or floats, no duplicate map keys, no trailing bytes.

use std::fmt;

/// How many arrays and maps may nest (an attestation object needs 3: map → attStmt map → x5c array).
pub const MAX_DEPTH: usize = 8;
/// The largest input accepted at all (attestation objects are a few hundred bytes to a few KiB).
pub const MAX_INPUT: usize = 64 * 1024;

/// A decoded data item. Negative integers keep CBOR's form: `Negative(n)` is `-1 - n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Unsigned(u64),
    Negative(u64),
    Bytes(Vec<u8>),
    Text(String),
    Array(Vec<Value>),
    Map(Vec<(Value, Value)>),
    Bool(bool),
    Null,
}

/// Why input was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CborError {
    /// The input ends inside a data item.
    Truncated,
    /// Indefinite-length strings, arrays and maps are not accepted.
    Indefinite,
    /// Nesting beyond [`MAX_DEPTH`].
    TooDeep,
    /// The input, or a length inside it, is larger than allowed or than what is left.
    TooLong,
    /// Tags, floats, `undefined`, simple values and reserved encodings are not accepted.
    Unsupported(u8),
    /// Bytes after the (single) data item.
    TrailingBytes(usize),
    /// A text string that is not UTF-8.
    InvalidUtf8,
    /// The same key twice in one map.
    DuplicateKey,
}

impl fmt::Display for CborError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CborError::Truncated => write!(f, "CBOR input ends inside a data item"),
            CborError::Indefinite => write!(f, "indefinite-length CBOR items are not accepted"),
            CborError::TooDeep => write!(f, "CBOR nested deeper than {MAX_DEPTH}"),
            CborError::TooLong => write!(f, "CBOR length larger than the input"),
            CborError::Unsupported(b) => write!(f, "unsupported CBOR initial byte 0x{b:02x}"),
            CborError::TrailingBytes(n) => write!(f, "{n} bytes after the CBOR data item"),
            CborError::InvalidUtf8 => write!(f, "CBOR text string is not UTF-8"),
            CborError::DuplicateKey => write!(f, "duplicate key in a CBOR map"),
        }
    }
}

impl std::error::Error for CborError {}

/// Decodes exactly one data item; anything after it is an error.
pub fn decode(input: &[u8]) -> Result<Value, CborError> {
    let (value, used) = decode_prefix(input)?;
    match input.len() - used {
        0 => Ok(value),
        n => Err(CborError::TrailingBytes(n)),
    }
}

/// Decodes the data item at the start of `input` and says how many bytes it took (authenticator data
/// carries a COSE key followed by more bytes).
pub fn decode_prefix(input: &[u8]) -> Result<(Value, usize), CborError> {
    if input.len() > MAX_INPUT {
        return Err(CborError::TooLong);
    }
    let mut reader = Reader { input, pos: 0 };
    let value = reader.item(0)?;
    Ok((value, reader.pos))
}

struct Reader<'a> {
    input: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn left(&self) -> usize {
        self.input.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&[u8], CborError> {
        if n > self.left() {
            return Err(CborError::Truncated);
        }
        let bytes = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    /// The argument of an initial byte (RFC 8949 §3): immediate, or 1, 2, 4 or 8 bytes following.
    fn argument(&mut self, initial: u8) -> Result<u64, CborError> {
        let info = initial & 0x1f;
        let width = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            31 => return Err(CborError::Indefinite),
            _ => return Err(CborError::Unsupported(initial)),
        };
        let bytes = self.take(width)?;
        Ok(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// A length that must fit in what is left, each element taking at least `min_size` bytes.
    fn length(&mut self, initial: u8, min_size: usize) -> Result<usize, CborError> {
        let n = self.argument(initial)?;
        let n = usize::try_from(n).map_err(|_| CborError::TooLong)?;
        if n.checked_mul(min_size)
            .is_none_or(|need| need > self.left())
        {
            return Err(CborError::TooLong);
        }
        Ok(n)
    }

    fn item(&mut self, depth: usize) -> Result<Value, CborError> {
        let initial = *self.take(1)?.first().ok_or(CborError::Truncated)?;
        match initial >> 5 {
            0 => Ok(Value::Unsigned(self.argument(initial)?)),
            1 => Ok(Value::Negative(self.argument(initial)?)),
            2 => {
                let n = self.length(initial, 1)?;
                Ok(Value::Bytes(self.take(n)?.to_vec()))
            }
            3 => {
                let n = self.length(initial, 1)?;
                let bytes = self.take(n)?.to_vec();
                String::from_utf8(bytes)
                    .map(Value::Text)
                    .map_err(|_| CborError::InvalidUtf8)
            }
            4 => {
                if depth >= MAX_DEPTH {
                    return Err(CborError::TooDeep);
                }
                let n = self.length(initial, 1)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.item(depth + 1)?);
                }
                Ok(Value::Array(items))
            }
            5 => {
                if depth >= MAX_DEPTH {
                    return Err(CborError::TooDeep);
                }
                let n = self.length(initial, 2)?;
                let mut entries: Vec<(Value, Value)> = Vec::with_capacity(n);
                for _ in 0..n {
                    let key = self.item(depth + 1)?;
                    if entries.iter().any(|(k, _)| *k == key) {
                        return Err(CborError::DuplicateKey);
                    }
                    let value = self.item(depth + 1)?;
                    entries.push((key, value));
                }
                Ok(Value::Map(entries))
            }
            7 => match initial & 0x1f {
                20 => Ok(Value::Bool(false)),
                21 => Ok(Value::Bool(true)),
                22 => Ok(Value::Null),
                31 => Err(CborError::Indefinite),
                _ => Err(CborError::Unsupported(initial)),
            },
            // Major type 6: tags.
            _ => Err(CborError::Unsupported(initial)),
        }
    }
}

impl Value {
    /// The value under an integer key of a map (COSE keys use small integers).
    pub fn get_int(&self, key: i64) -> Option<&Value> {
        let Value::Map(entries) = self else {
            return None;
        };
        entries
            .iter()
            .find(|(k, _)| k.as_int() == Some(key))
            .map(|(_, v)| v)
    }

    /// The value under a text key of a map (attestation objects use `fmt`, `attStmt`, `authData`).
    pub fn get_text(&self, key: &str) -> Option<&Value> {
        let Value::Map(entries) = self else {
            return None;
        };
        entries
            .iter()
            .find(|(k, _)| matches!(k, Value::Text(t) if t == key))
            .map(|(_, v)| v)
    }

    /// An integer that fits in `i64`.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Unsigned(n) => i64::try_from(*n).ok(),
            Value::Negative(n) => i64::try_from(*n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_8949_examples_decode() {
        let cases: &[(&[u8], Value)] = &[
            (&[0x00], Value::Unsigned(0)),
            (&[0x17], Value::Unsigned(23)),
            (&[0x18, 0x18], Value::Unsigned(24)),
            (&[0x19, 0x03, 0xe8], Value::Unsigned(1000)),
            (
                &[0x1b, 0, 0, 0, 0xe8, 0xd4, 0xa5, 0x10, 0],
                Value::Unsigned(1_000_000_000_000),
            ),
            (&[0x20], Value::Negative(0)),
            (&[0x38, 0x63], Value::Negative(99)),
            (&[0x40], Value::Bytes(vec![])),
            (&[0x44, 1, 2, 3, 4], Value::Bytes(vec![1, 2, 3, 4])),
            (&[0x62, 0xc3, 0xbc], Value::Text("ü".into())),
            (&[0xf4], Value::Bool(false)),
            (&[0xf5], Value::Bool(true)),
            (&[0xf6], Value::Null),
            (
                &[0x83, 0x01, 0x82, 0x02, 0x03, 0x82, 0x04, 0x05],
                Value::Array(vec![
                    Value::Unsigned(1),
                    Value::Array(vec![Value::Unsigned(2), Value::Unsigned(3)]),
                    Value::Array(vec![Value::Unsigned(4), Value::Unsigned(5)]),
                ]),
            ),
            (
                &[0xa2, 0x01, 0x02, 0x20, 0x61, 0x61],
                Value::Map(vec![
                    (Value::Unsigned(1), Value::Unsigned(2)),
                    (Value::Negative(0), Value::Text("a".into())),
                ]),
            ),
        ];
        for (bytes, expected) in cases {
            assert_eq!(decode(bytes).as_ref(), Ok(expected), "{bytes:02x?}");
        }
        let map = decode(&[0xa2, 0x01, 0x02, 0x20, 0x61, 0x61]).unwrap_or(Value::Null);
        assert_eq!(map.get_int(1).and_then(Value::as_int), Some(2));
        assert_eq!(map.get_int(-1).and_then(Value::as_text), Some("a"));
        assert_eq!(map.get_int(3), None);
    }

    #[test]
    fn what_webauthn_never_needs_is_refused() {
        let cases: &[(&[u8], CborError)] = &[
            (&[], CborError::Truncated),
            (&[0x18], CborError::Truncated),
            (&[0x00, 0x00], CborError::TrailingBytes(1)),
            (&[0x5f, 0x41, 0x00, 0xff], CborError::Indefinite),
            (&[0x9f, 0xff], CborError::Indefinite),
            (&[0xbf, 0xff], CborError::Indefinite),
            (&[0x1c], CborError::Unsupported(0x1c)),
            (&[0xc0, 0x00], CborError::Unsupported(0xc0)),
            (&[0xf9, 0x3c, 0x00], CborError::Unsupported(0xf9)),
            (&[0xf7], CborError::Unsupported(0xf7)),
            (&[0x62, 0xff, 0xfe], CborError::InvalidUtf8),
            (&[0x45, 1, 2], CborError::TooLong),
            (
                &[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                CborError::TooLong,
            ),
            (&[0xa1, 0x01], CborError::TooLong),
            (&[0xa2, 0x01, 0x00, 0x01, 0x00], CborError::DuplicateKey),
        ];
        for (bytes, expected) in cases {
            assert_eq!(decode(bytes).as_ref(), Err(expected), "{bytes:02x?}");
        }
        let deep = [vec![0x81; MAX_DEPTH + 1], vec![0x00]].concat();
        assert_eq!(decode(&deep), Err(CborError::TooDeep));
        let fine = [vec![0x81; MAX_DEPTH], vec![0x00]].concat();
        assert!(decode(&fine).is_ok());
        assert_eq!(decode(&vec![0x40; MAX_INPUT + 1]), Err(CborError::TooLong));
    }

    #[test]
    fn a_prefix_says_how_much_it_took() {
        assert_eq!(
            decode_prefix(&[0x41, 0x07, 0xaa, 0xbb]),
            Ok((Value::Bytes(vec![7]), 2))
        );
    }
}
