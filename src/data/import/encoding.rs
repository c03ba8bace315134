//! Text encodings: guessing one from the first bytes (a byte-order mark, the NUL pattern of
//! UTF-16, valid UTF-8, else Windows-1252 — which also reads Latin-1), refusing binary files, and
//! a streaming decoder that turns UTF-16 and Windows-1252 into UTF-8 as the file is read.

use std::io::{self, Read};

use super::TextEncoding;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Guesses the encoding from the first bytes of a file.
pub(crate) fn detect(sample: &[u8]) -> TextEncoding {
    if sample.starts_with(UTF8_BOM) {
        return TextEncoding::Utf8Bom;
    }
    if sample.starts_with(b"\xFF\xFE") {
        return TextEncoding::Utf16Le;
    }
    if sample.starts_with(b"\xFE\xFF") {
        return TextEncoding::Utf16Be;
    }
    if let Some(enc) = utf16_without_bom(sample) {
        return enc;
    }
    match std::str::from_utf8(sample) {
        Ok(_) => TextEncoding::Utf8,
        // Valid up to a character cut off by the end of the sample.
        Err(e) if e.error_len().is_none() => TextEncoding::Utf8,
        Err(_) => TextEncoding::Windows1252,
    }
}

/// ASCII-heavy UTF-16 without a BOM: almost every other byte is NUL, the rest almost never.
fn utf16_without_bom(sample: &[u8]) -> Option<TextEncoding> {
    let pairs = sample.len() / 2;
    if pairs < 8 {
        return None;
    }
    let nul_even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let nul_odd = sample.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    let mostly = |n: usize| n * 10 >= pairs * 7;
    let rarely = |n: usize| n * 50 <= pairs;
    if mostly(nul_odd) && rarely(nul_even) {
        Some(TextEncoding::Utf16Le)
    } else if mostly(nul_even) && rarely(nul_odd) {
        Some(TextEncoding::Utf16Be)
    } else {
        None
    }
}

fn encoding_rs_of(enc: TextEncoding) -> &'static encoding_rs::Encoding {
    match enc {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => encoding_rs::UTF_8,
        TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
        TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
        TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
    }
}

/// Decodes the first bytes of a file (`complete`: they are the whole file). A character cut off
/// at the end of an incomplete sample is dropped; anything else that is not valid is an error.
pub(crate) fn decode_sample(sample: &[u8], enc: TextEncoding, complete: bool) -> Result<String, String> {
    let mut decoder = encoding_rs_of(enc).new_decoder_with_bom_removal();
    let mut out = String::with_capacity(decoder.max_utf8_buffer_length(sample.len()).unwrap_or(sample.len() * 3));
    let (result, read) = decoder.decode_to_string_without_replacement(sample, &mut out, complete);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(out),
        encoding_rs::DecoderResult::Malformed(..) => {
            Err(format!("an invalid byte sequence near byte {}", read.saturating_sub(1)))
        }
        encoding_rs::DecoderResult::OutputFull => Err("the decoder ran out of room".to_string()),
    }
}

/// Why decoded text looks like binary data: NUL bytes or many control characters.
pub(crate) fn binary_reason(text: &str) -> Option<String> {
    let chars = text.chars().count().max(1);
    let nul = text.chars().filter(|&c| c == '\0').count();
    let control = text
        .chars()
        .filter(|&c| {
            (c < ' ' && !matches!(c, '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '\x1b'))
                || ('\u{80}'..='\u{9f}').contains(&c)
        })
        .count();
    if nul > 0 && nul * 1000 >= chars {
        Some(format!("{nul} NUL bytes among its first {chars} characters"))
    } else if control * 100 >= chars && control > 2 {
        Some(format!("{control} control characters among its first {chars} characters"))
    } else {
        None
    }
}

/// Whether the file starts like a kind of file that is not text at all.
pub(crate) fn known_binary(sample: &[u8]) -> Option<(&'static str, &'static str)> {
    if sample.starts_with(b"PK\x03\x04") {
        Some(("a ZIP archive or an Excel/OpenDocument workbook", "save the sheet as CSV (UTF-8), or unzip it"))
    } else if sample.starts_with(b"\x1F\x8B") {
        Some(("a gzip-compressed file", "decompress it first"))
    } else if sample.starts_with(b"\xD0\xCF\x11\xE0") {
        Some(("an old Excel (.xls) or Word file", "save the sheet as CSV (UTF-8)"))
    } else if sample.starts_with(b"%PDF") {
        Some(("a PDF document", "export its text first"))
    } else {
        None
    }
}

/// A reader that yields UTF-8: UTF-8 input passes through (its BOM skipped by the caller);
/// UTF-16 and Windows-1252 input is decoded on the fly. Invalid UTF-16 is an `InvalidData` error.
pub(crate) fn utf8_reader<'a, R: Read + Send + 'a>(inner: R, enc: TextEncoding) -> Box<dyn Read + Send + 'a> {
    match enc {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => Box::new(inner),
        other => Box::new(Transcode::new(inner, encoding_rs_of(other))),
    }
}

/// The message of an `InvalidData` error raised by [`Transcode`].
pub(crate) fn invalid_data_reason(e: &io::Error) -> Option<String> {
    (e.kind() == io::ErrorKind::InvalidData).then(|| e.to_string())
}

const CHUNK: usize = 1 << 16;

struct Transcode<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    name: &'static str,
    input: Vec<u8>,
    output: Vec<u8>,
    out_pos: usize,
    /// Raw bytes decoded so far, to say where invalid input is.
    consumed: u64,
    finished: bool,
}

impl<R: Read> Transcode<R> {
    fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Self {
        Transcode {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            name: encoding.name(),
            input: vec![0; CHUNK],
            output: Vec::new(),
            out_pos: 0,
            consumed: 0,
            finished: false,
        }
    }

    /// Decodes the next chunk of input into `output`.
    fn refill(&mut self) -> io::Result<()> {
        let n = loop {
            match self.inner.read(&mut self.input) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        let last = n == 0;
        let capacity = self.decoder.max_utf8_buffer_length_without_replacement(n).unwrap_or(n * 3 + 16);
        self.output.clear();
        self.output.resize(capacity, 0);
        self.out_pos = 0;
        let (result, read, written) =
            self.decoder.decode_to_utf8_without_replacement(&self.input[..n], &mut self.output, last);
        self.output.truncate(written);
        match result {
            encoding_rs::DecoderResult::InputEmpty => {
                self.consumed += read as u64;
                self.finished = last;
                Ok(())
            }
            encoding_rs::DecoderResult::Malformed(..) => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("an invalid {} sequence near byte {}", self.name, self.consumed + read as u64),
            )),
            encoding_rs::DecoderResult::OutputFull => {
                Err(io::Error::new(io::ErrorKind::InvalidData, "the text decoder ran out of room"))
            }
        }
    }
}

impl<R: Read> Read for Transcode<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_pos == self.output.len() {
            if self.finished {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.output.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.output[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        out.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        out
    }

    fn read_all(bytes: &[u8], enc: TextEncoding) -> io::Result<String> {
        let mut out = String::new();
        utf8_reader(bytes, enc).read_to_string(&mut out)?;
        Ok(out)
    }

    #[test]
    fn detects_boms_utf16_patterns_and_latin1() {
        assert_eq!(detect(b"\xEF\xBB\xBFtext,label\n"), TextEncoding::Utf8Bom);
        assert_eq!(detect(&utf16le("text,label\nhi,1\n", true)), TextEncoding::Utf16Le);
        assert_eq!(detect(&utf16le("text,label\nhi,1\n", false)), TextEncoding::Utf16Le);
        assert_eq!(detect("caf\u{e9},1\n".as_bytes()), TextEncoding::Utf8);
        assert_eq!(detect(b"caf\xE9,1\n"), TextEncoding::Windows1252);
        // A character cut off by the end of the sample is still UTF-8.
        assert_eq!(detect(&"ab\u{e9}".as_bytes()[..3]), TextEncoding::Utf8);
    }

    #[test]
    fn transcodes_utf16_and_windows_1252_across_chunks() {
        let long = "é€ word ".repeat(20_000);
        assert_eq!(read_all(&utf16le(&long, true), TextEncoding::Utf16Le).unwrap(), long);
        assert_eq!(read_all(b"caf\xE9 \x80", TextEncoding::Windows1252).unwrap(), "café €");
    }

    #[test]
    fn invalid_utf16_is_an_error() {
        // An unpaired high surrogate followed by a letter.
        let bytes = [0xFF, 0xFE, 0x00, 0xD8, 0x41, 0x00];
        let err = read_all(&bytes, TextEncoding::Utf16Le).unwrap_err();
        assert!(invalid_data_reason(&err).is_some(), "{err}");
        assert!(decode_sample(&bytes, TextEncoding::Utf16Le, true).is_err());
    }

    #[test]
    fn binary_data_is_recognised() {
        assert!(binary_reason("a\0b\0c\0").is_some());
        assert!(binary_reason("plain text, with\ttabs\r\n").is_none());
        assert!(known_binary(b"PK\x03\x04....").is_some());
    }
}
