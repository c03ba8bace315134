//! Splitting a typed text into words the way CoNLL files have them: at white space, with
//! punctuation at the start or end of a word standing as its own word ("Paris," is "Paris" and
//! ","). Used to tag typed text and to turn character-offset entity spans into word tags.

/// The words of a text with their byte ranges in it.
pub fn split_words_with_offsets(text: &str) -> Vec<(String, usize, usize)> {
    let mut words = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        let len = rest[start..].find(char::is_whitespace).unwrap_or(rest.len() - start);
        let chunk = &rest[start..start + len];
        let base = offset + start;
        let lead = chunk.len() - chunk.trim_start_matches(|c: char| c.is_ascii_punctuation()).len();
        let core_end = chunk.trim_end_matches(|c: char| c.is_ascii_punctuation()).len().max(lead);
        // Punctuation characters are ASCII, one byte each.
        words.extend((0..lead).map(|i| (chunk[i..i + 1].to_string(), base + i, base + i + 1)));
        if core_end > lead {
            words.push((chunk[lead..core_end].to_string(), base + lead, base + core_end));
        }
        words.extend((core_end..chunk.len()).map(|i| (chunk[i..i + 1].to_string(), base + i, base + i + 1)));
        offset = base + len;
        rest = &text[offset..];
    }
    words
}

/// The words of a text.
pub fn split_words(text: &str) -> Vec<String> {
    split_words_with_offsets(text).into_iter().map(|(w, _, _)| w).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn punctuation_at_word_edges_stands_alone() {
        assert_eq!(
            split_words("I met (Ann) in Paris, U.S.A."),
            ["I", "met", "(", "Ann", ")", "in", "Paris", ",", "U.S.A", "."]
        );
        assert_eq!(split_words("don't ..."), ["don't", ".", ".", "."]);
        assert!(split_words("  ").is_empty());
        let text = " Zoë  lives in Köln.";
        for (word, start, end) in split_words_with_offsets(text) {
            assert_eq!(&text[start..end], word);
        }
    }
}
