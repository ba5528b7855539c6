"""Builds small real tokenizers with Hugging Face `tokenizers` for the peft4j data tests.

Usage: python make_tokenizers.py OUT_DIR

Writes OUT_DIR/bpe (byte-level BPE, Llama-style: prepends <s>, eos </s>, ChatML markers as special
tokens) and OUT_DIR/wordpiece (BERT-style: lowercases, [CLS] ... [SEP], no eos), each saved through
transformers so the folder holds tokenizer.json and tokenizer_config.json as a model repo does.
"""

import sys
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Parameter-efficient fine-tuning adapts large models with few trainable weights.",
    "LoRA adds a low-rank update B @ A to a frozen weight matrix.",
    "Grüße aus München! Ça va? Ñandú, smörgåsbord, naïve café.",
    "日本語のテキストも少し含めます。中文也有一点。",
    "Emoji: 🙂🚀👩‍💻 and numbers 12345 67.89 -0.5e10.",
    "    indented\tline with\ttabs and  double  spaces\n and newlines\r\n",
    "def f(x):\n    return x * 2  # code is text too",
] * 20


def save(tokenizer, out, **special):
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, **special)
    wrapped.save_pretrained(str(out))


def byte_level_bpe(out):
    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = ["<s>", "</s>", "<pad>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(SENTENCES, trainer)
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos)]),
    ])
    save(tok, out, bos_token="<s>", eos_token="</s>", pad_token="<pad>")


def word_piece(out):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(SENTENCES, trainers.WordPieceTrainer(vocab_size=400, special_tokens=specials))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    save(tok, out, unk_token="[UNK]", cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]", mask_token="[MASK]")


if __name__ == "__main__":
    root = Path(sys.argv[1])
    byte_level_bpe(root / "bpe")
    word_piece(root / "wordpiece")
