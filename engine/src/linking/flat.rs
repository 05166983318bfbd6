//! Flat tables, written once and read in place: the storage of the linking index (`index.bin`).
//!
//! A file is a header (magic, format version, table count), a directory of each table's offset and
//! length, then the tables: arrays of little-endian `u32`s, and string tables (an array of `u32`
//! offsets, one more than the strings, into a table of UTF-8 bytes). The reader takes the tables back
//! in the order the writer put them, so a layout is defined by one function that writes it and one
//! that reads it, side by side.
//!
//! Nothing is parsed or copied at load: a mapped file's pages are read when a lookup touches them, and
//! every process that maps the same file shares them. Loading checks the header and each table's
//! bounds and shape; a value inside a table is trusted, and one that points outside its table (a
//! damaged file) panics with [`DAMAGED_INDEX`], which the extension reports as an error.

use std::ops::{Deref, Range};

const MAGIC: &[u8; 8] = b"CNERLNK\0";
const HEADER_BYTES: usize = 16;
const DIRECTORY_ENTRY_BYTES: usize = 16;
/// The panic message of a lookup in a table whose values point outside it: it quotes nothing, so the
/// extension may show it.
pub const DAMAGED_INDEX: &str = "the vocabulary index is damaged: rebuild it";

/// An index's bytes: mapped from its file, or built in memory (tests, the training tool).
pub(super) enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Owned(bytes) => bytes,
        }
    }
}

/// Collects tables, then lays them out in one buffer.
#[derive(Default)]
pub(super) struct Writer {
    tables: Vec<Vec<u8>>,
}

impl Writer {
    pub fn u32s(&mut self, values: impl IntoIterator<Item = u32>) {
        self.tables
            .push(values.into_iter().flat_map(u32::to_le_bytes).collect());
    }

    pub fn strings<'s>(&mut self, strings: impl IntoIterator<Item = &'s str>) {
        let mut offsets = vec![0u32];
        let mut bytes = Vec::new();
        for string in strings {
            bytes.extend_from_slice(string.as_bytes());
            offsets.push(u32::try_from(bytes.len()).expect("string tables under 4 GiB"));
        }
        self.u32s(offsets);
        self.tables.push(bytes);
    }

    pub fn finish(self, format_version: u32) -> Vec<u8> {
        let count = self.tables.len();
        let mut offset = HEADER_BYTES + count * DIRECTORY_ENTRY_BYTES;
        let mut out = Vec::with_capacity(offset + self.tables.iter().map(Vec::len).sum::<usize>());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&format_version.to_le_bytes());
        out.extend_from_slice(&(count as u32).to_le_bytes());
        for table in &self.tables {
            out.extend_from_slice(&(offset as u64).to_le_bytes());
            out.extend_from_slice(&(table.len() as u64).to_le_bytes());
            offset += table.len();
        }
        self.tables
            .iter()
            .for_each(|table| out.extend_from_slice(table));
        out
    }
}

/// Takes the tables of a buffer back in the order they were written, checking each one's place.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    count: usize,
    next: usize,
}

impl<'a> Reader<'a> {
    /// Checks the magic and the format version.
    pub fn open(bytes: &'a [u8], format_version: u32) -> Result<Reader<'a>, String> {
        if bytes.len() < HEADER_BYTES || &bytes[..8] != MAGIC {
            return Err("not a clinical_ner linking index".into());
        }
        let version = read_u32(bytes, 8);
        if version != format_version {
            return Err(format!(
                "format version {version} (this build reads {format_version})"
            ));
        }
        let count = read_u32(bytes, 12) as usize;
        if count
            .checked_mul(DIRECTORY_ENTRY_BYTES)
            .and_then(|n| n.checked_add(HEADER_BYTES))
            .is_none_or(|end| end > bytes.len())
        {
            return Err("truncated (its table directory runs past the end)".into());
        }
        Ok(Reader {
            bytes,
            count,
            next: 0,
        })
    }

    fn table(&mut self) -> Result<Range<usize>, String> {
        if self.next == self.count {
            return Err(format!("{} tables, and more were expected", self.count));
        }
        let entry = HEADER_BYTES + self.next * DIRECTORY_ENTRY_BYTES;
        let start = read_u64(self.bytes, entry);
        let length = read_u64(self.bytes, entry + 8);
        let end = start
            .checked_add(length)
            .filter(|&end| end <= self.bytes.len() as u64);
        let Some(end) = end else {
            return Err(format!("table {} runs past the end of the file", self.next));
        };
        self.next += 1;
        Ok(start as usize..end as usize)
    }

    pub fn u32s(&mut self) -> Result<U32sAt, String> {
        let range = self.table()?;
        if range.len() % 4 != 0 {
            return Err(format!("table {} is not whole u32s", self.next - 1));
        }
        Ok(U32sAt(range))
    }

    pub fn strings(&mut self) -> Result<StringsAt, String> {
        let offsets = self.u32s()?;
        let bytes = self.table()?;
        let last = offsets.on(self.bytes).len().checked_sub(1);
        if last.is_none_or(|last| offsets.on(self.bytes).get(last) as usize != bytes.len()) {
            return Err(format!(
                "string table {} does not end where its offsets do",
                self.next - 1
            ));
        }
        Ok(StringsAt { offsets, bytes })
    }

    /// Fails unless every table was read: a file of another layout.
    pub fn finish(self) -> Result<(), String> {
        if self.next == self.count {
            Ok(())
        } else {
            Err(format!("{} tables, {} expected", self.count, self.next))
        }
    }
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap())
}

/// Where an array of `u32`s lies in an index's bytes.
#[derive(Debug, Clone)]
pub(super) struct U32sAt(Range<usize>);

impl U32sAt {
    pub fn on<'a>(&self, bytes: &'a [u8]) -> U32s<'a> {
        U32s(&bytes[self.0.clone()])
    }
}

#[derive(Clone, Copy)]
pub(super) struct U32s<'a>(&'a [u8]);

impl<'a> U32s<'a> {
    pub fn len(self) -> usize {
        self.0.len() / 4
    }

    pub fn get(self, index: usize) -> u32 {
        let at = index * 4;
        let bytes = self.0.get(at..at + 4).expect(DAMAGED_INDEX);
        u32::from_le_bytes(bytes.try_into().unwrap())
    }

    /// The values from `start` up to `end`.
    pub fn slice(self, start: u32, end: u32) -> U32s<'a> {
        U32s(
            self.0
                .get(start as usize * 4..end as usize * 4)
                .expect(DAMAGED_INDEX),
        )
    }

    pub fn iter(self) -> impl Iterator<Item = u32> + 'a {
        self.0
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
    }
}

/// Where a string table lies in an index's bytes.
#[derive(Debug, Clone)]
pub(super) struct StringsAt {
    offsets: U32sAt,
    bytes: Range<usize>,
}

impl StringsAt {
    pub fn on<'a>(&self, bytes: &'a [u8]) -> Strings<'a> {
        Strings {
            offsets: self.offsets.on(bytes),
            bytes: &bytes[self.bytes.clone()],
        }
    }
}

#[derive(Clone, Copy)]
pub(super) struct Strings<'a> {
    offsets: U32s<'a>,
    bytes: &'a [u8],
}

impl<'a> Strings<'a> {
    pub fn len(self) -> usize {
        self.offsets.len() - 1
    }

    pub fn get(self, index: usize) -> &'a str {
        // Not Result::expect, whose message would carry the decoding error after DAMAGED_INDEX.
        let Ok(string) = std::str::from_utf8(self.bytes_of(index)) else {
            panic!("{DAMAGED_INDEX}")
        };
        string
    }

    fn bytes_of(self, index: usize) -> &'a [u8] {
        let (start, end) = (self.offsets.get(index), self.offsets.get(index + 1));
        self.bytes
            .get(start as usize..end as usize)
            .expect(DAMAGED_INDEX)
    }

    /// The index of `key` in a table written in sorted order, by binary search.
    pub fn position(self, key: &str) -> Option<u32> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let middle = (low + high) / 2;
            // Bytes compare as their strings do, without checking each probe's UTF-8.
            match self.bytes_of(middle).cmp(key.as_bytes()) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Some(middle as u32),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written() -> Vec<u8> {
        let mut writer = Writer::default();
        writer.u32s([7, 0, u32::MAX]);
        writer.strings(["", "aspirin", "ibuprofen", "é"]);
        writer.finish(3)
    }

    #[test]
    fn tables_read_back_in_order() {
        let bytes = written();
        let mut reader = Reader::open(&bytes, 3).unwrap();
        let numbers = reader.u32s().unwrap();
        let strings = reader.strings().unwrap();
        reader.finish().unwrap();
        let numbers = numbers.on(&bytes);
        assert_eq!(numbers.iter().collect::<Vec<_>>(), [7, 0, u32::MAX]);
        assert_eq!(
            numbers.slice(1, 3).iter().collect::<Vec<_>>(),
            [0, u32::MAX]
        );
        let strings = strings.on(&bytes);
        assert_eq!(strings.len(), 4);
        assert_eq!((strings.get(0), strings.get(3)), ("", "é"));
        assert_eq!(strings.position("ibuprofen"), Some(2));
        assert_eq!(strings.position(""), Some(0));
        assert_eq!(strings.position("metformin"), None);
    }

    #[test]
    fn damaged_files_are_refused_at_open() {
        let bytes = written();
        assert!(Reader::open(&bytes, 2).err().unwrap().contains("version 3"));
        assert!(Reader::open(b"not an index at all", 3).is_err());
        let truncated = &bytes[..bytes.len() - 1];
        let mut reader = Reader::open(truncated, 3).unwrap();
        reader.u32s().unwrap();
        assert!(reader.strings().err().unwrap().contains("past the end"));
        let mut reader = Reader::open(&bytes, 3).unwrap();
        assert!(reader.strings().is_err(), "a u32 table read as strings");
        let mut reader = Reader::open(&bytes, 3).unwrap();
        reader.u32s().unwrap();
        assert!(reader.finish().is_err(), "tables left unread");
    }
}
