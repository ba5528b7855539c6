"""PEFT reference outputs for peft4j's merge and soup tests.

Builds tiny random-weight bases (Llama-shaped bf16 and fp32, GPT-2 with Conv1D, a model with an
Embedding target, a Conv2d model), makes LoRA adapters with PEFT (random non-zero B through
``init_lora_weights=False``; DoRA, rsLoRA, rank/alpha patterns, lora_bias, modules_to_save) and writes
what PEFT itself produces from them:

* merges: ``PeftModel.from_pretrained`` (default loading) + ``merge_and_unload`` + ``save_pretrained``;
* soups: ``add_weighted_adapter`` + ``save_pretrained`` of the new adapter.

``build_merges`` and ``build_soups`` write a ``manifest.json`` in their output directory listing the
cases, so the Java tests (``java-api/src/test/java/io/peft4j/merge``, calling these functions through
the bridge in the same JVM) run peft4j on the same inputs and compare tensor by tensor. Nothing made
here is committed: the tests write into temporary directories.

Also runnable by hand: python peft_merge_reference.py merges OUT | soups OUT | merge-adapter BASE ADAPTER OUT
"""

import json
import os
import shutil
import sys

import torch
from torch import nn
from safetensors.torch import save_file, load_file
from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM
from peft import LoraConfig, PeftModel, get_peft_model
from peft.tuners.lora import LoraLayer


# ---------------------------------------------------------------------------------------------- bases

def llama_config(tied=False):
    return LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                       tie_word_embeddings=tied)


def save_llama(path, dtype, seed, shard=None, tied=False):
    torch.manual_seed(seed)
    model = LlamaForCausalLM(llama_config(tied)).to(dtype)
    kwargs = {"max_shard_size": shard} if shard else {}
    model.save_pretrained(path, **kwargs)
    with open(os.path.join(path, "tokenizer.json"), "w") as f:
        f.write('{"version": "1.0", "note": "not a real tokenizer; only checks that files are copied"}')
    return path


def save_gpt2(path, seed):
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=256, n_embd=64, n_layer=2, n_head=4, n_positions=64))
    model.save_pretrained(path)
    return path


class TinyConvNet(nn.Module):
    """A Conv2d model: a 3x3 convolution, a 1x1 convolution, a linear head."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(self.conv2(self.conv1(x)).mean(dim=(2, 3)))


def save_conv(path, seed):
    torch.manual_seed(seed)
    model = TinyConvNet()
    os.makedirs(path, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(path, "model.safetensors"))
    return path


def load_base(kind, path, dtype):
    if kind == "llama":
        return LlamaForCausalLM.from_pretrained(path, dtype=dtype)
    if kind == "gpt2":
        return GPT2LMHeadModel.from_pretrained(path, dtype=dtype)
    model = TinyConvNet()
    model.load_state_dict(load_file(os.path.join(path, "model.safetensors")))
    return model.to(dtype)


# ------------------------------------------------------------------------------------------- adapters

def make_adapter(kind, base, dtype, path, seed, **lora):
    torch.manual_seed(seed)
    model = load_base(kind, base, dtype)
    peft_model = get_peft_model(model, LoraConfig(init_lora_weights=False, **lora))
    if lora.get("use_dora"):
        # trained magnitudes differ from the initial norms; make them so, or DoRA would be a no-op on norms
        with torch.no_grad():
            for module in peft_model.modules():
                if isinstance(module, LoraLayer):
                    for mag in module.lora_magnitude_vector.values():
                        mag.weight.mul_(1 + 0.1 * torch.randn_like(mag.weight))
    if lora.get("lora_bias"):
        with torch.no_grad():
            for module in peft_model.modules():
                if isinstance(module, LoraLayer):
                    for lin in module.lora_B.values():
                        if lin.bias is not None:
                            lin.bias.normal_()
    for name, param in peft_model.named_parameters():
        if "modules_to_save" in name:
            with torch.no_grad():
                param.add_(torch.randn_like(param))
    peft_model.save_pretrained(path)
    return path


def peft_merge(kind, base, dtype, adapters, out):
    """PEFT's merge: default loading, scaling multiplied by each adapter's weight, merge_and_unload."""
    model = load_base(kind, base, dtype)
    names = [f"a{i}" for i in range(len(adapters))]
    peft_model = PeftModel.from_pretrained(model, adapters[0][0], adapter_name=names[0])
    for name, (path, _) in zip(names[1:], adapters[1:]):
        peft_model.load_adapter(path, adapter_name=name)
    for module in peft_model.modules():
        if isinstance(module, LoraLayer):
            for name, (_, weight) in zip(names, adapters):
                if name in module.scaling:
                    module.scaling[name] = module.scaling[name] * weight
    kernels = record_kernels(peft_model)
    merged = peft_model.merge_and_unload(adapter_names=names)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    save_file(kernels, out + ".kernels.safetensors")
    if kind == "conv":
        os.makedirs(out, exist_ok=True)
        save_file({k: v.contiguous() for k, v in merged.state_dict().items()}, os.path.join(out, "model.safetensors"))
    else:
        merged.save_pretrained(out)
    return out


def record_kernels(peft_model):
    """What torch's CPU kernels computed during PEFT's merge, filled in as it runs: each LoRA delta
    (``get_delta_weight``: a matmul, or a convolution for k x k Conv2d) under ``MODULE|ADAPTER|delta``
    and each DoRA weight norm under ``MODULE|ADAPTER|norm``, module names without PEFT's
    ``base_model.model.`` prefix. The Java test compares them with peft4j's own to tell where this
    CPU's kernels sum in peft4j's order (then the merge must be bit-identical) and where not."""
    kernels = {}
    for module_name, module in peft_model.named_modules():
        if not isinstance(module, LoraLayer):
            continue
        name = module_name.removeprefix("base_model.model.")

        def delta(adapter, _get=module.get_delta_weight, _name=name):
            value = _get(adapter)
            kernels[f"{_name}|{adapter}|delta"] = value.detach().float().contiguous().clone()
            return value

        module.get_delta_weight = delta
        for adapter, magnitude in module.lora_magnitude_vector.items():
            def norm(*args, _get=magnitude.get_weight_norm, _key=f"{name}|{adapter}|norm", **kwargs):
                value = _get(*args, **kwargs)
                kernels[_key] = value.detach().float().reshape(-1).contiguous().clone()
                return value

            magnitude.get_weight_norm = norm
    return kernels


ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def build_merges(out):
    bf16, fp32 = torch.bfloat16, torch.float32
    b = lambda name: os.path.join(out, "bases", name)
    a = lambda name: os.path.join(out, "adapters", name)
    e = lambda name: os.path.join(out, "expected", name)
    save_llama(b("llama_bf16"), bf16, 1, shard="100KB")
    save_llama(b("llama_fp32"), fp32, 2)
    save_gpt2(b("gpt2"), 3)
    save_conv(b("conv"), 4)

    make_adapter("llama", b("llama_bf16"), bf16, a("llama_patterns"), 10, r=8, lora_alpha=16,
                 target_modules=ALL_LINEAR, rank_pattern={"q_proj": 4, "layers.1.mlp.down_proj": 2},
                 alpha_pattern={"v_proj": 5})
    make_adapter("llama", b("llama_bf16"), bf16, a("llama_rslora"), 11, r=6, lora_alpha=7,
                 target_modules=["q_proj", "v_proj", "up_proj"], use_rslora=True)
    make_adapter("llama", b("llama_bf16"), bf16, a("llama_dora"), 12, r=4, lora_alpha=8,
                 target_modules=["q_proj", "o_proj", "down_proj"], use_dora=True)
    make_adapter("llama", b("llama_bf16"), bf16, a("llama_embed"), 13, r=4, lora_alpha=4,
                 target_modules=["embed_tokens", "k_proj"], modules_to_save=["lm_head"])
    make_adapter("llama", b("llama_fp32"), fp32, a("llama_fp32_dora_embed"), 14, r=4, lora_alpha=8,
                 target_modules=["embed_tokens", "gate_proj"], use_dora=True, use_rslora=True)
    make_adapter("gpt2", b("gpt2"), fp32, a("gpt2_bias"), 15, r=4, lora_alpha=8, fan_in_fan_out=True,
                 target_modules=["c_attn", "c_proj", "c_fc"], lora_bias=True, modules_to_save=["ln_f"])
    make_adapter("gpt2", b("gpt2"), fp32, a("gpt2_dora"), 16, r=4, lora_alpha=8, fan_in_fan_out=True,
                 target_modules=["c_attn", "c_fc"], use_dora=True)
    # rank 256: torch's matmul (MKL) blocks a sum this long and no longer adds the terms in order on x86
    make_adapter("llama", b("llama_fp32"), fp32, a("llama_fp32_rank256"), 19, r=256, lora_alpha=16,
                 target_modules=["q_proj", "down_proj"])
    make_adapter("conv", b("conv"), fp32, a("conv"), 17, r=4, lora_alpha=8, target_modules=["conv1", "conv2", "fc"])
    make_adapter("conv", b("conv"), fp32, a("conv_dora"), 18, r=2, lora_alpha=4,
                 target_modules=["conv1", "conv2"], use_dora=True)

    cases = [
        ("llama_patterns", "llama", "llama_bf16", bf16, [("llama_patterns", 1.0)]),
        ("llama_rslora", "llama", "llama_bf16", bf16, [("llama_rslora", 1.0)]),
        ("llama_dora", "llama", "llama_bf16", bf16, [("llama_dora", 1.0)]),
        ("llama_embed", "llama", "llama_bf16", bf16, [("llama_embed", 1.0)]),
        ("llama_two_weighted", "llama", "llama_bf16", bf16, [("llama_patterns", 0.7), ("llama_rslora", -0.3)]),
        ("llama_fp32_dora_embed", "llama", "llama_fp32", fp32, [("llama_fp32_dora_embed", 1.0)]),
        ("gpt2_bias", "gpt2", "gpt2", fp32, [("gpt2_bias", 1.0)]),
        ("gpt2_dora", "gpt2", "gpt2", fp32, [("gpt2_dora", 0.5)]),
        ("llama_fp32_rank256", "llama", "llama_fp32", fp32, [("llama_fp32_rank256", 1.0)]),
        ("conv", "conv", "conv", fp32, [("conv", 1.0)]),
        ("conv_dora", "conv", "conv", fp32, [("conv_dora", 1.0)]),
    ]
    manifest = []
    for name, kind, base, dtype, adapters in cases:
        resolved = [(a(n), w) for n, w in adapters]
        peft_merge(kind, b(base), dtype, resolved, e(name))
        manifest.append({"name": name, "base": b(base), "expected": e(name), "kernels": e(name) + ".kernels.safetensors",
                         "adapters": [{"dir": d, "weight": w} for d, w in resolved]})
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


# ---------------------------------------------------------------------------------------------- soups

SOUP_METHODS = ["linear", "cat", "svd", "ties", "ties_svd", "dare_linear", "dare_ties", "dare_linear_svd",
                "dare_ties_svd", "magnitude_prune", "magnitude_prune_svd"]


def peft_soup(kind, base, adapters, method, out, density=None, svd_rank=None, majority_sign="total", seed=0):
    torch.manual_seed(seed)
    model = load_base(kind, base, torch.float32)
    names = [f"a{i}" for i in range(len(adapters))]
    peft_model = PeftModel.from_pretrained(model, adapters[0][0], adapter_name=names[0])
    for name, (path, _) in zip(names[1:], adapters[1:]):
        peft_model.load_adapter(path, adapter_name=name)
    peft_model.add_weighted_adapter(names, [w for _, w in adapters], "soup", combination_type=method,
                                    density=density, svd_rank=svd_rank, majority_sign_method=majority_sign)
    tmp = out + ".tmp"
    peft_model.save_pretrained(tmp, selected_adapters=["soup"])
    shutil.move(os.path.join(tmp, "soup"), out)
    shutil.rmtree(tmp)
    return out


def build_soups(out):
    b = lambda name: os.path.join(out, "bases", name)
    a = lambda name: os.path.join(out, "adapters", name)
    e = lambda name: os.path.join(out, "expected", name)
    save_llama(b("llama"), torch.float32, 5)
    save_gpt2(b("gpt2"), 6)
    targets = ["q_proj", "v_proj", "embed_tokens"]
    make_adapter("llama", b("llama"), torch.float32, a("l0"), 20, r=8, lora_alpha=16, target_modules=targets)
    make_adapter("llama", b("llama"), torch.float32, a("l1"), 21, r=8, lora_alpha=8, target_modules=targets)
    make_adapter("llama", b("llama"), torch.float32, a("l2_rslora"), 22, r=8, lora_alpha=4,
                 target_modules=["q_proj", "v_proj", "up_proj"], use_rslora=True)
    make_adapter("llama", b("llama"), torch.float32, a("l3_r4"), 23, r=4, lora_alpha=8, target_modules=targets)
    make_adapter("gpt2", b("gpt2"), torch.float32, a("g0"), 24, r=4, lora_alpha=8, fan_in_fan_out=True,
                 target_modules=["c_attn", "c_fc"])
    make_adapter("gpt2", b("gpt2"), torch.float32, a("g1"), 25, r=4, lora_alpha=4, fan_in_fan_out=True,
                 target_modules=["c_attn", "c_proj"])
    three = [(a("l0"), 0.6), (a("l1"), -0.5), (a("l2_rslora"), 0.8)]
    manifest = []

    def case(name, kind, base, adapters, method, **kw):
        peft_soup(kind, b(base), adapters, method, e(name), **kw)
        manifest.append({"name": name, "method": method, "expected": e(name),
                         "adapters": [{"dir": d, "weight": w} for d, w in adapters],
                         "density": kw.get("density"), "rank": kw.get("svd_rank"),
                         "majority_sign": kw.get("majority_sign", "total")})

    for method in SOUP_METHODS:
        density = 0.5 if method not in ("linear", "cat", "svd") else None
        case(f"llama_{method}", "llama", "llama", three, method, density=density)
    case("llama_ties_frequency", "llama", "llama", three, "ties", density=0.3, majority_sign="frequency")
    case("llama_svd_rank5", "llama", "llama", three, "svd", svd_rank=5)
    case("llama_cat_mixed_ranks", "llama", "llama", [(a("l0"), 1.0), (a("l3_r4"), 0.5)], "cat")
    case("llama_svd_mixed_ranks", "llama", "llama", [(a("l3_r4"), 1.0), (a("l0"), 0.5)], "svd")
    case("gpt2_svd", "gpt2", "gpt2", [(a("g0"), 1.0), (a("g1"), 0.7)], "svd")
    case("gpt2_cat", "gpt2", "gpt2", [(a("g0"), 1.0), (a("g1"), 0.7)], "cat")
    # a single adapter: PEFT combines it linearly whatever the method (svd_rank and density unused)
    case("llama_ties_single", "llama", "llama", [(a("l0"), 0.7)], "ties", density=0.5)
    case("llama_svd_single_rank5", "llama", "llama", [(a("l1"), 1.0)], "svd", svd_rank=5)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


def merge_adapter(base, adapter, out):
    """Merges one adapter made elsewhere (e.g. by peft4j's soup or ZipLoRA) into a Llama or GPT-2 base."""
    with open(os.path.join(base, "config.json")) as f:
        kind = "gpt2" if json.load(f)["model_type"] == "gpt2" else "llama"
    peft_merge(kind, base, torch.float32, [(adapter, 1.0)], out)


if __name__ == "__main__":
    torch.set_num_threads(1)
    command, *args = sys.argv[1:]
    {"merges": build_merges, "soups": build_soups, "merge-adapter": merge_adapter}[command](*args)
