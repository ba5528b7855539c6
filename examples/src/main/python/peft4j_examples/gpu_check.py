"""The Python side of examples/gpu-check (io.peft4j.examples.bench.GpuCheck), called through the bridge.

cuda_device()        the CUDA device torch sees, or a RuntimeError saying there is none
make_model(out_dir)  a Llama with the shape of a real ~0.5B model (Qwen2-0.5B: hidden 896, 24 layers,
                     14 heads, 2 KV heads, MLP 4864, vocab 151936, tied embeddings), random bf16 weights,
                     and peft4j's byte-level BPE tokenizer; no download
reset_peak()         resets torch's peak GPU memory counter
peak_gib()           peak GPU memory allocated by torch since the last reset, in GiB
"""

import os

GIB = float(1 << 30)


def cuda_device():
    import torch

    if not torch.cuda.is_available():
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        raise RuntimeError(f"torch {torch.__version__} sees no CUDA device"
                           + (f" (CUDA_VISIBLE_DEVICES={visible!r})" if visible is not None else "")
                           + "; this check needs an NVIDIA GPU with a working driver")
    props = torch.cuda.get_device_properties(0)
    return {"name": props.name, "memory_gib": props.total_memory / GIB, "torch": torch.__version__,
            "cuda": torch.version.cuda}


def make_model(out_dir):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from peft4j_bridge.tiny import make_tokenizer

    tokenizer = make_tokenizer()
    config = LlamaConfig(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                         num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=4096,
                         rope_theta=1000000.0, rms_norm_eps=1e-6, tie_word_embeddings=True,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    parameters = sum(p.numel() for p in model.parameters())
    del model
    torch.cuda.empty_cache()
    return {"dir": os.path.abspath(out_dir), "parameters": parameters}


def reset_peak():
    import torch

    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()


def peak_gib():
    import torch

    return torch.cuda.max_memory_allocated() / GIB
