//! What gradient attributions need of a model: its tokenizer, its encoder's word embeddings, and
//! the logits of what is explained computed from given word embeddings — a text's label for a
//! text classifier, one word's tag for a token classifier.

use candle_core::{Device, Tensor};

use crate::model::{EncodedBatch, Encoder, Problem, SequenceClassifier, TextTokenizer, TokenClassifier};

pub trait Attributable {
    fn tokenizer(&self) -> &TextTokenizer;
    fn encoder(&self) -> &Encoder;
    fn device(&self) -> &Device;
    /// Logits (rows, classes) from word embeddings (rows, seq, embedding).
    fn logits_from_word_embeddings(&self, words: &Tensor, batch: &EncodedBatch) -> candle_core::Result<Tensor>;
    /// Whether each output stands alone (a sigmoid per label, or a number) rather than being one
    /// class of a softmax.
    fn independent_outputs(&self) -> bool {
        false
    }
}

impl Attributable for SequenceClassifier {
    fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    fn encoder(&self) -> &Encoder {
        SequenceClassifier::encoder(self)
    }

    fn device(&self) -> &Device {
        &self.device
    }

    fn logits_from_word_embeddings(&self, words: &Tensor, batch: &EncodedBatch) -> candle_core::Result<Tensor> {
        self.forward_from_word_embeddings(words, batch)
    }

    fn independent_outputs(&self) -> bool {
        self.problem != Problem::SingleLabel
    }
}

/// A token classifier explaining the tag of the token at `position`.
pub struct TagAt<'a> {
    pub model: &'a TokenClassifier,
    pub position: usize,
}

impl Attributable for TagAt<'_> {
    fn tokenizer(&self) -> &TextTokenizer {
        &self.model.tokenizer
    }

    fn encoder(&self) -> &Encoder {
        self.model.encoder()
    }

    fn device(&self) -> &Device {
        &self.model.device
    }

    fn logits_from_word_embeddings(&self, words: &Tensor, batch: &EncodedBatch) -> candle_core::Result<Tensor> {
        self.model.logits_from_word_embeddings_at(words, batch, self.position)
    }
}
