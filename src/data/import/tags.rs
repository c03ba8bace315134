//! Entity tags as Attune keeps them: IOB2 (`B-X` begins every entity, `I-X` continues it, `O`
//! is outside). CoNLL files in IOB1 (`I-X` begins an entity unless it follows one of the same
//! type), BIOES/IOBES (`S-X` single, `E-X` end), BILOU (`U-X`, `L-X`) or IO (bare `X`), and tags
//! written with `_` instead of `-` or a lowercase prefix, are converted on import so that training
//! and seqeval-style metrics see one scheme.

/// Rewrites one sentence's tags as IOB2; returns how many tags changed.
pub fn to_iob2(tags: &mut [String]) -> usize {
    let mut changed = 0;
    let mut previous_type: Option<String> = None;
    for tag in tags.iter_mut() {
        let (prefix, kind) = match tag.as_str() {
            "O" | "o" | "" => (None, None),
            t if t.len() > 2
                && t.is_char_boundary(2)
                && matches!(t.as_bytes()[1], b'-' | b'_')
                && matches!(t.as_bytes()[0].to_ascii_uppercase(), b'B' | b'I' | b'E' | b'S' | b'L' | b'U') =>
            {
                (t.chars().next().map(|c| c.to_ascii_uppercase()), Some(t[2..].to_string()))
            }
            // A bare type (the IO scheme: "PER PER O"): inside an entity of that type.
            t => (Some('I'), Some(t.to_string())),
        };
        let (Some(prefix), Some(kind)) = (prefix, kind) else {
            if tag.as_str() != "O" {
                *tag = "O".to_string();
                changed += 1;
            }
            previous_type = None;
            continue;
        };
        let continues = previous_type.as_deref() == Some(kind.as_str());
        let new_prefix = match prefix {
            'B' | 'S' | 'U' => 'B',
            'I' | 'E' | 'L' if continues => 'I',
            'I' | 'E' | 'L' => 'B',
            _ => {
                previous_type = None;
                continue;
            }
        };
        let rewritten = format!("{new_prefix}-{kind}");
        if *tag != rewritten {
            *tag = rewritten;
            changed += 1;
        }
        // After an S-/U- or E-/L- tag the entity is over.
        previous_type = (!matches!(prefix, 'S' | 'U' | 'E' | 'L')).then_some(kind);
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::to_iob2;

    fn convert(s: &str) -> (String, usize) {
        let mut tags: Vec<String> = s.split_whitespace().map(String::from).collect();
        let n = to_iob2(&mut tags);
        (tags.join(" "), n)
    }

    #[test]
    fn iob1_bioes_and_bilou_become_iob2() {
        assert_eq!(convert("B-PER I-PER O B-LOC"), ("B-PER I-PER O B-LOC".into(), 0));
        assert_eq!(convert("I-PER I-PER O I-LOC B-LOC"), ("B-PER I-PER O B-LOC B-LOC".into(), 2));
        assert_eq!(convert("I-PER I-ORG"), ("B-PER B-ORG".into(), 2));
        assert_eq!(convert("S-PER B-ORG I-ORG E-ORG S-ORG E-ORG"), ("B-PER B-ORG I-ORG I-ORG B-ORG B-ORG".into(), 4));
        assert_eq!(convert("U-LOC B-MISC L-MISC"), ("B-LOC B-MISC I-MISC".into(), 2));
        assert_eq!(convert("B_PER I_PER O"), ("B-PER I-PER O".into(), 2));
        // Lowercase prefixes and bare types (the IO scheme).
        assert_eq!(convert("b-per i-per o PER PER O LOC"), ("B-per I-per O B-PER I-PER O B-LOC".into(), 6));
    }
}
