"""diffusers' side of the diffusion LoRA checks (DiffusersCrossCheckTest, DiffusionZipLoraTest).

How it is run: the Java tests call it at test time with the test layer's python (PEFT4J_PYTHON, which
./peft4j test sets to the layer of python-bridge/requirements-test.txt: diffusers 0.42.1 over torch
2.13.0, transformers 5.18.0, peft 0.21.0), writing into a JUnit temporary folder; nothing it makes is
committed. By hand, from adapters/:

    $PEFT4J_PYTHON src/test/python/diffusion_reference.py make DIR          (DIR: an empty folder, e.g. from mktemp -d)
    $PEFT4J_PYTHON src/test/python/diffusion_reference.py check DIR/request.json DIR/result.json

make OUT writes, from fixed seeds, with random weights and nothing downloaded:
  OUT/sd1/model, OUT/sdxl/model   tiny diffusers model folders: an SD 1.x-shaped UNet2DConditionModel (conv
                                  proj_in/proj_out, one CLIPTextModel) and an SDXL-shaped one (linear
                                  projections, text_time addition embedding, CLIPTextModel +
                                  CLIPTextModelWithProjection), with a scheduler folder to be carried along
  OUT/loras/*                     the LoRA fixtures, listed in OUT/fixtures.json:
    sd1-diffusers.safetensors     PEFT LoRAs (unet: attention, feed-forward, proj_in/out, resnet convs,
                                  time projections, samplers, conv_in/out; text encoder: attention and MLP;
                                  r=4, lora_alpha=8, rank_pattern) saved as diffusers' training scripts do:
                                  convert_state_dict_to_diffusers(get_peft_model_state_dict(...)) and
                                  save_lora_weights with the LoraConfig as lora_adapter_metadata (mixed
                                  key spellings, some of which diffusers 0.42.1 does not load back)
    sd1-diffusers-attention.safetensors  the same for attention only, as the DreamBooth LoRA scripts train
    sd1-kohya-converted.safetensors  the same state dicts through diffusers' convert_state_dict_to_kohya
    sd1-peft/                     the same LoRAs as PEFT folders (PeftModel.save_pretrained per component)
    sd1-kohya-locon.safetensors   written here as sd-scripts writes LoCon files: lora_unet_/lora_te_ keys,
                                  fp16 factors, fp16 .alpha per module (network_alpha 2.5 for linear
                                  layers, conv_alpha 1 for convolutions, ranks 4/8), 3x3 conv LoRA on the
                                  resnets, an ss_* training record in the header
    sd1-kohya-varied.safetensors  kohya file whose alphas vary so that diffusers' alpha handling departs
                                  from kohya's (attention alphas that are not the most common, a missing
                                  .alpha): the case peft4j's DiffusersQuirks must name
    sdxl-diffusers.safetensors    like sd1-diffusers for the SDXL-shaped pipeline (unet, te1, te2 with
                                  text_projection), saved with PEFT's own keys
    sdxl-kohya-sgm.safetensors    written here as sd-scripts writes SDXL LoRAs: the original (sgm) UNet block
                                  names (input_blocks_4_1_..., middle_block_1_..., output_blocks_2_2_conv,
                                  label_emb_0_0, time_embed_0, input_blocks_0_0, out_2), lora_te1_/lora_te2_
    sdxl-kohya-converted.safetensors  sdxl-diffusers through convert_state_dict_to_kohya
  make-zip OUT writes two LoRAs on the SD1 UNet with known column structure (attention only; each LoRA's
  lora_A lives on its own input features plus a band shared with the other, strong in one half of the
  band and faint in the other half, the other LoRA the other way round) and, for each, calibration activations:
  the inputs every adapted module sees when the LoRA's own prompt embeddings and latents go through
  the UNet (forward hooks).

check REQUEST RESULT: for every fixture, diffusers' load_lora_weights + fuse_lora (+ unload_lora_weights)
on the original gives the reference weights of each component; then the same on each of peft4j's
conversions (PEFT folders through PeftModel.from_pretrained + merge_and_unload, which is what fuse_lora
runs), and peft4j's merged model folders read with safetensors. For each, per component: tensors and
values compared, values equal, the largest difference in units in the last place, and for merges
the values outside the reorder bound (what the README promises where torch sums in another order). For the
varied-alpha fixture also: which modules diffusers scales otherwise than kohya (the original against
peft4j's diffusers conversion, whose metadata carries every alpha), and whether each module's fused
delta is (alpha/r) up@down (checked in float64 from the kohya file itself). zip-check scores ZipLoRA
results against the plain sum inside diffusers (see zip_check).
"""
import copy
import json
import sys
from pathlib import Path

import torch
from diffusers import (DDIMScheduler, StableDiffusionPipeline, StableDiffusionXLPipeline, UNet2DConditionModel)
from diffusers.utils import convert_state_dict_to_diffusers, convert_state_dict_to_kohya
from peft import LoraConfig, PeftModel, get_peft_model
from peft.utils import get_peft_model_state_dict
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection
import diffusers
import transformers
import warnings

diffusers.utils.logging.set_verbosity_error()
diffusers.utils.logging.disable_progress_bar()
transformers.utils.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()
warnings.filterwarnings("ignore")

UNET_TARGETS = ["to_q", "to_k", "to_v", "to_out.0", "proj_in", "proj_out", "ff.net.0.proj", "ff.net.2", "conv1", "conv2",
                "time_emb_proj", "conv_shortcut", "conv", "conv_in", "conv_out", "linear_1", "linear_2"]
TEXT_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2"]


# ---------------------------------------------------------------------------------------------- models

def clip_config(hidden, layers):
    return CLIPTextConfig(hidden_size=hidden, intermediate_size=24, num_attention_heads=2, num_hidden_layers=layers,
                          vocab_size=50, max_position_embeddings=16, projection_dim=16, bos_token_id=0, eos_token_id=2,
                          pad_token_id=1)


# Every layer a LoRA touches is at least 16 wide: for narrower products torch's CPU matmul (MKL) sums
# without fused multiply-adds, which real Stable Diffusion layers (320 wide and more) never meet.

def sd1_pipeline():
    torch.manual_seed(1)
    unet = UNet2DConditionModel(block_out_channels=(16, 32), layers_per_block=1, sample_size=8, in_channels=4,
                                out_channels=4, down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                                up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=16,
                                attention_head_dim=8, norm_num_groups=4)
    te = CLIPTextModel(clip_config(16, 2))
    return StableDiffusionPipeline(vae=None, text_encoder=te, tokenizer=None, unet=unet, scheduler=DDIMScheduler(),
                                   safety_checker=None, feature_extractor=None, requires_safety_checker=False)


def sdxl_pipeline():
    torch.manual_seed(2)
    unet = UNet2DConditionModel(block_out_channels=(16, 32, 64), layers_per_block=2, sample_size=8, in_channels=4,
                                out_channels=4,
                                down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
                                up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
                                transformer_layers_per_block=(1, 1, 2), attention_head_dim=(4, 8, 16),
                                use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=4,
                                projection_class_embeddings_input_dim=16 + 6 * 4, cross_attention_dim=32,
                                norm_num_groups=4)
    te = CLIPTextModel(clip_config(16, 2))
    te2 = CLIPTextModelWithProjection(clip_config(16, 2))
    return StableDiffusionXLPipeline(vae=None, text_encoder=te, text_encoder_2=te2, tokenizer=None, tokenizer_2=None,
                                     unet=unet, scheduler=DDIMScheduler())


_LOADED = {}


def load_pipeline(folder):
    """A pipeline from a tiny model folder (no VAE or tokenizer: they are not needed to load LoRAs); each
    folder is read once, every call gets fresh copies of its models."""
    folder = Path(folder)
    if folder not in _LOADED:
        models = {"unet": UNet2DConditionModel.from_pretrained(folder / "unet"),
                  "text_encoder": CLIPTextModel.from_pretrained(folder / "text_encoder")}
        if (folder / "text_encoder_2").is_dir():
            models["text_encoder_2"] = CLIPTextModelWithProjection.from_pretrained(folder / "text_encoder_2")
        _LOADED[folder] = models
    models = {name: copy.deepcopy(model) for name, model in _LOADED[folder].items()}
    if "text_encoder_2" in models:
        return StableDiffusionXLPipeline(vae=None, tokenizer=None, tokenizer_2=None, scheduler=DDIMScheduler(), **models)
    return StableDiffusionPipeline(vae=None, tokenizer=None, scheduler=DDIMScheduler(), safety_checker=None,
                                   feature_extractor=None, requires_safety_checker=False, **models)


def components(pipe):
    found = {"unet": pipe.unet, "text_encoder": pipe.text_encoder}
    if getattr(pipe, "text_encoder_2", None) is not None:
        found["text_encoder_2"] = pipe.text_encoder_2
    return found


def lora_modules(model, targets):
    return [(n, m) for n, m in model.named_modules()
            if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)) and any(n == t or n.endswith("." + t) for t in targets)]


# ---------------------------------------------------------------------------------------------- fixtures

def peft_config(targets, text=False):
    return LoraConfig(r=4, lora_alpha=8, init_lora_weights=False, target_modules=targets,
                      rank_pattern={} if text else {"conv1": 2, "to_k": 2})


def add_peft_loras(pipe, seed, unet_targets=UNET_TARGETS, text_targets=TEXT_TARGETS):
    torch.manual_seed(seed)
    configs = {}
    for name, model in components(pipe).items():
        text = name != "unet"
        targets = text_targets + (["text_projection"] if name == "text_encoder_2" else []) if text else unet_targets
        config = peft_config(targets, text)
        model.add_adapter(config)
        configs[name] = config
    return configs


def peft_state_dicts(pipe):
    return {name: get_peft_model_state_dict(model) for name, model in components(pipe).items()}


def save_diffusers(pipe, configs, folder, weight_name, convert=True):
    """As diffusers' training scripts save LoRAs (convert=True: through convert_state_dict_to_diffusers,
    which respells attention keys lora.down / lora_linear_layer.down), or with PEFT's own keys."""
    states = peft_state_dicts(pipe)
    layers = {f"{n}_lora_layers": convert_state_dict_to_diffusers(sd) if convert else sd for n, sd in states.items()}
    meta = {f"{n}_lora_adapter_metadata": configs[n].to_dict() for n in states}
    type(pipe).save_lora_weights(folder, weight_name=weight_name, **layers, **meta)


def save_kohya_converted(pipe, path):
    combined = {}
    for name, sd in peft_state_dicts(pipe).items():
        combined.update({f"{name}.{k}": v for k, v in sd.items()})
    save_file(convert_state_dict_to_kohya(combined), path)


def save_peft_folders(pipe, configs, folder):
    """The same LoRAs as PEFT adapter folders: get_peft_model on fresh copies, weights copied in."""
    for name, model in components(pipe).items():
        state = get_peft_model_state_dict(model)
        fresh = type(model)(model.config) if name != "unet" else UNet2DConditionModel.from_config(model.config)
        peft_model = get_peft_model(fresh, configs[name])
        loaded = {}
        for key, value in state.items():
            loaded[key.replace(".weight", ".default.weight")] = value
        missing = peft_model.base_model.model.load_state_dict(loaded, strict=False)
        assert not [k for k in missing.unexpected_keys], missing.unexpected_keys
        peft_model.save_pretrained(Path(folder) / name)


def sgm_name(name, layers_per_block):
    """diffusers UNet module name -> the original (sgm) UNet's, as sd-scripts names SDXL modules."""
    per = layers_per_block + 1
    fixed = {"conv_in": "input_blocks.0.0", "conv_out": "out.2", "time_embedding.linear_1": "time_embed.0",
             "time_embedding.linear_2": "time_embed.2", "add_embedding.linear_1": "label_emb.0.0",
             "add_embedding.linear_2": "label_emb.0.2"}
    if name in fixed:
        return fixed[name]
    resnet = {"conv1": "in_layers.2", "conv2": "out_layers.3", "time_emb_proj": "emb_layers.1",
              "conv_shortcut": "skip_connection"}
    parts = name.split(".")
    if parts[0] == "mid_block":
        kind, index, tail = parts[1], int(parts[2]), ".".join(parts[3:])
        block = 1 if kind == "attentions" else 2 * index
        return f"middle_block.{block}." + (resnet.get(tail, tail))
    block, kind, index, tail = int(parts[1]), parts[2], int(parts[3]), ".".join(parts[4:])
    if parts[0] == "down_blocks":
        if kind == "downsamplers":
            return f"input_blocks.{(block + 1) * per}.0.op"
        return f"input_blocks.{1 + block * per + index}.{0 if kind == 'resnets' else 1}." + resnet.get(tail, tail)
    if kind == "upsamplers":
        return f"output_blocks.{block * per + per - 1}.2.conv"
    return f"output_blocks.{block * per + index}.{0 if kind == 'resnets' else 1}." + resnet.get(tail, tail)


def kohya_file(pipe, path, seed, alpha_of, rank_of, sgm=False, dtype=torch.float16, metadata=None, skip_alpha=()):
    """A LoRA written as sd-scripts writes one: lora_down/lora_up/alpha per module."""
    torch.manual_seed(seed)
    two = getattr(pipe, "text_encoder_2", None) is not None
    state = {}
    names = []
    for component, model in components(pipe).items():
        text = component != "unet"
        prefix = {"unet": "lora_unet_", "text_encoder": "lora_te1_" if two else "lora_te_",
                  "text_encoder_2": "lora_te2_"}[component]
        for name, module in lora_modules(model, TEXT_TARGETS if text else UNET_TARGETS):
            full = ("text_model." + name if text and not name.startswith("text_model.") else name)
            stem = prefix + (sgm_name(full, pipe.unet.config.layers_per_block) if sgm and not text else full).replace(".", "_")
            rank = rank_of(full, module)
            if isinstance(module, torch.nn.Conv2d):
                down = torch.randn(rank, module.in_channels, *module.kernel_size) / module.in_channels
                up = torch.randn(module.out_channels, rank, 1, 1) / rank
            else:
                down = torch.randn(rank, module.in_features) / module.in_features
                up = torch.randn(module.out_features, rank) / rank
            names.append({"stem": stem, "component": component, "module": full})
            state[stem + ".lora_down.weight"] = down.to(dtype)
            state[stem + ".lora_up.weight"] = up.to(dtype)
            if full not in skip_alpha:
                state[stem + ".alpha"] = torch.tensor(alpha_of(full, module), dtype=dtype)
    save_file(state, path, metadata=metadata)
    Path(str(path).removesuffix(".safetensors") + ".names.json").write_text(json.dumps(names, indent=1))


def make(out):
    out = Path(out)
    loras = out / "loras"
    loras.mkdir(parents=True, exist_ok=True)
    fixtures = []

    sd1 = sd1_pipeline()
    sd1.save_pretrained(out / "sd1" / "model")
    configs = add_peft_loras(sd1, 11)
    save_diffusers(sd1, configs, loras, "sd1-diffusers.safetensors")
    save_kohya_converted(sd1, loras / "sd1-kohya-converted.safetensors")
    save_peft_folders(sd1, configs, loras / "sd1-peft")
    fixtures += [("sd1-diffusers.safetensors", "sd1"), ("sd1-kohya-converted.safetensors", "sd1"), ("sd1-peft", "sd1")]
    attention_only = sd1_pipeline()
    configs = add_peft_loras(attention_only, 14, ["to_q", "to_k", "to_v", "to_out.0"], ["q_proj", "k_proj", "v_proj", "out_proj"])
    save_diffusers(attention_only, configs, loras, "sd1-diffusers-attention.safetensors")
    fixtures += [("sd1-diffusers-attention.safetensors", "sd1")]

    base = load_pipeline(out / "sd1" / "model")
    locon_meta = {"ss_network_module": "networks.lora", "ss_network_dim": "4", "ss_network_alpha": "2.5",
                  "ss_network_args": json.dumps({"conv_dim": "8", "conv_alpha": "1"})}
    kohya_file(base, loras / "sd1-kohya-locon.safetensors", 12,
               alpha_of=lambda n, m: 1.0 if isinstance(m, torch.nn.Conv2d) and m.kernel_size != (1, 1) else 2.5,
               rank_of=lambda n, m: 8 if isinstance(m, torch.nn.Conv2d) and m.kernel_size != (1, 1) else 4,
               metadata=locon_meta)
    attention = ("to_q", "to_k", "q_proj")
    kohya_file(base, loras / "sd1-kohya-varied.safetensors", 13,
               alpha_of=lambda n, m: 3.0 if n.endswith(attention) else (0.5 if "resnets" in n else 2.0),
               rank_of=lambda n, m: 2 if "conv" in n else 4, dtype=torch.float32,
               skip_alpha=("mid_block.attentions.0.proj_out", "text_model.encoder.layers.1.mlp.fc2"))
    fixtures += [("sd1-kohya-locon.safetensors", "sd1"), ("sd1-kohya-varied.safetensors", "sd1")]

    sdxl = sdxl_pipeline()
    sdxl.save_pretrained(out / "sdxl" / "model")
    configs = add_peft_loras(sdxl, 21)
    save_diffusers(sdxl, configs, loras, "sdxl-diffusers.safetensors", convert=False)
    save_kohya_converted(sdxl, loras / "sdxl-kohya-converted.safetensors")
    base = load_pipeline(out / "sdxl" / "model")
    kohya_file(base, loras / "sdxl-kohya-sgm.safetensors", 22, sgm=True,
               alpha_of=lambda n, m: 1.0 if isinstance(m, torch.nn.Conv2d) and m.kernel_size != (1, 1) else 2.0,
               rank_of=lambda n, m: 4, dtype=torch.bfloat16)
    fixtures += [("sdxl-diffusers.safetensors", "sdxl"), ("sdxl-kohya-converted.safetensors", "sdxl"),
                 ("sdxl-kohya-sgm.safetensors", "sdxl")]
    (out / "fixtures.json").write_text(json.dumps(
        [{"lora": str(loras / f), "model": str(out / m / "model"), "name": f.split(".")[0]} for f, m in fixtures],
        indent=1))


# ---------------------------------------------------------------------------------------------- checks

def fused(model_folder, lora, bounds=None):
    """Every component's weights after diffusers (or, for PEFT folders, PEFT) fuses `lora` into a fresh pipeline.
    With a dict `bounds`, also fills it with the reorder bound of every fused weight (see reorder_bound)."""
    pipe = load_pipeline(model_folder)
    lora = Path(lora)
    if lora.is_dir() and any((lora / c / "adapter_config.json").is_file() for c in components(pipe)):
        for name, model in components(pipe).items():
            if (lora / name / "adapter_config.json").is_file():
                merged = PeftModel.from_pretrained(model, lora / name).merge_and_unload()
                setattr(pipe, name, merged)
    else:
        if lora.is_dir():
            pipe.load_lora_weights(str(lora))
        else:
            pipe.load_lora_weights(str(lora.parent), weight_name=lora.name)
        if bounds is not None:
            for name, model in components(pipe).items():
                bounds[name] = reorder_bounds(model)
        pipe.fuse_lora(components=list(components(pipe)))
        pipe.unload_lora_weights()
    return {name: {k: v.detach().clone() for k, v in model.state_dict().items()} for name, model in components(pipe).items()}


def reorder_bounds(model):
    """For each LoRA layer's weight: how far a fused value may lie from peft4j's when torch's kernels sum the
    rank terms in another order, 2 (gamma_r + u) |s| (|B| @ |A|) plus one float32 ulp of the result
    (u = 2^-24, gamma_r = r u / (1 - r u)): the promise the README makes for merges."""
    from peft.tuners.lora import LoraLayer
    found = {}
    u = 2.0 ** -24
    for name, module in model.named_modules():
        if not isinstance(module, LoraLayer):
            continue
        for adapter, a in module.lora_A.items():
            A = a.weight.detach().double().flatten(1)
            B = module.lora_B[adapter].weight.detach().double().flatten(1)
            r = A.shape[0]
            gamma = r * u / (1 - r * u)
            weight = module.get_base_layer().weight
            bound = 2 * (gamma + u) * abs(module.scaling[adapter]) * (B.abs() @ A.abs())
            found[name + ".weight"] = bound.reshape(weight.shape)
    return found


def ulps(a, b):
    """Largest distance in float32 units in the last place between two tensors of equal shape."""
    ia = a.float().contiguous().view(torch.int32).long()
    ib = b.float().contiguous().view(torch.int32).long()
    ia = torch.where(ia < 0, -(ia & 0x7FFFFFFF), ia)
    ib = torch.where(ib < 0, -(ib & 0x7FFFFFFF), ib)
    return int((ia - ib).abs().max().item()) if a.numel() else 0


def compare(reference, other, bounds=None):
    """Per component: values compared and equal, missing tensors, and per differing tensor its largest
    difference in ulp and its largest absolute difference relative to the tensor's largest value; with
    `bounds`, also how many values lie outside the reorder bound (plus one ulp of the value)."""
    result = {}
    for comp, ref in reference.items():
        got = other.get(comp, {})
        equal = total = outside = 0
        differing = {}
        missing = [k for k in ref if k not in got]
        for key, value in ref.items():
            if key not in got:
                continue
            g = got[key].to(value.dtype)
            total += value.numel()
            same = int((g == value).sum().item())
            equal += same
            if same != value.numel():
                scale = value.abs().max().item() or 1.0
                differing[key] = [ulps(value, g), (g.double() - value.double()).abs().max().item() / scale]
                if bounds is not None:
                    bound = bounds.get(comp, {}).get(key)
                    ulp = (torch.nextafter(value.abs(), torch.tensor(float("inf"))) - value.abs()).double()
                    limit = ulp + (bound if bound is not None else 0)
                    outside += int(((g.double() - value.double()).abs() > limit).sum().item())
        result[comp] = {"values": total, "equal": equal, "differing": differing, "missing": missing,
                        "max_ulp": max([d[0] for d in differing.values()], default=0), "outside_bound": outside}
    return result


def folder_weights(folder):
    found = {}
    for comp in ("unet", "text_encoder", "text_encoder_2"):
        sub = Path(folder) / comp
        if sub.is_dir():
            tensors = {}
            for f in sorted(sub.glob("*.safetensors")):
                tensors.update(load_file(f))
            found[comp] = tensors
    return found


def kohya_deltas_ok(model_folder, kohya, fused_weights, names):
    """Whether each module's fused delta is (alpha/r) up@down in float64, alpha per module as kohya defines it."""
    base = folder_weights(model_folder)
    state = load_file(kohya)
    ok, checked = True, 0
    for stem, comp, module in names:
        down = state[stem + ".lora_down.weight"].double()
        up = state[stem + ".lora_up.weight"].double()
        rank = down.shape[0]
        alpha = state[stem + ".alpha"].item() if stem + ".alpha" in state else rank
        scale = (alpha or rank) / rank
        delta = (up.flatten(1) @ down.flatten(1)).reshape(up.shape[0], *down.shape[1:]) * scale
        key = module + ".weight"
        if key not in base[comp]:
            key = key.removeprefix("text_model.")
        got = fused_weights[comp][key].double() - base[comp][key].double()
        ok &= torch.allclose(got, delta.reshape(got.shape), rtol=1e-5, atol=1e-6)
        checked += 1
    return ok, checked


def check(request_path, result_path):
    request = json.loads(Path(request_path).read_text())
    results = []
    for case in request["cases"]:
        original = fused(case["model"], case["lora"])
        bounds = {}
        converted = {layout: fused(case["model"], path, bounds if layout == "diffusers" else None)
                     for layout, path in case["conversions"].items()}
        exact = converted["diffusers"]
        entry = {"name": case["name"],
                 "conversions": {layout: compare(original, weights) for layout, weights in converted.items()},
                 "merged": compare(exact, folder_weights(case["merged"]), bounds)}
        if case.get("kohya_semantics"):
            names = [(n["stem"], n["component"], n["module"]) for n in json.loads(
                Path(case["lora"].removesuffix(".safetensors") + ".names.json").read_text())]
            ok, checked = kohya_deltas_ok(case["model"], case["lora"], exact, names)
            entry["kohya_semantics"] = {"ok": ok, "modules": checked}
        results.append(entry)
    Path(result_path).write_text(json.dumps(results, indent=1))


# ---------------------------------------------------------------------------------------------- ZipLoRA

ZIP_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]


def zip_lora(unet, seed, band, weak):
    """A LoRA on the UNet's attention whose lora_A reads only the features in `band`, and only faintly
    (a tenth) those in `weak`: two such LoRAs share a band of features, each strong in one half of it."""
    torch.manual_seed(seed)
    state = {}
    for name, module in lora_modules(unet, ZIP_TARGETS):
        n = module.in_features
        lo, hi = int(band[0] * n), int(band[1] * n)
        down = torch.zeros(4, n)
        down[:, lo:hi] = torch.randn(4, hi - lo) / (hi - lo) ** 0.5
        down[:, int(weak[0] * n):int(weak[1] * n)] *= 0.1
        state[f"unet.{name}.lora_A.weight"] = down
        state[f"unet.{name}.lora_B.weight"] = torch.randn(module.out_features, 4) / 2
    return state


def own_inputs(unet, seed, lora_state, band):
    """The inputs each adapted module sees when the UNet runs the LoRA's own conditioning (hooks), [n, in]."""
    torch.manual_seed(seed)
    seen = {}
    hooks = []
    for name, module in lora_modules(unet, ZIP_TARGETS):
        def hook(mod, args, name=name):
            seen.setdefault(name, []).append(args[0].detach().reshape(-1, args[0].shape[-1]))
        hooks.append(module.register_forward_pre_hook(hook))
    cross = unet.config.cross_attention_dim
    embeds = torch.zeros(2, 6, cross)
    lo, hi = int(band[0] * cross), int(band[1] * cross)
    embeds[:, :, lo:hi] = torch.randn(2, 6, hi - lo)
    with torch.no_grad():
        unet(torch.randn(2, 4, 8, 8), torch.tensor([10, 500]), encoder_hidden_states=embeds)
    for h in hooks:
        h.remove()
    return {f"unet.{k}": torch.cat(v)[:64].contiguous() for k, v in seen.items()}


def make_zip(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sd1 = sd1_pipeline()
    sd1.save_pretrained(out / "model")
    unet = sd1.unet
    for tag, seed, band, weak in (("subject", 31, (0.0, 0.625), (0.5, 0.625)), ("style", 32, (0.375, 1.0), (0.375, 0.5))):
        state = zip_lora(unet, seed, band, weak)
        save_file(state, out / f"{tag}.safetensors")
        save_file(own_inputs(unet, seed + 100, state, band), out / f"{tag}-activations.safetensors")


def fused_sum(model_folder, loras):
    """The plain sum at equal weights, as diffusers does it: both LoRAs loaded as adapters, weights 1 and 1, fused."""
    pipe = load_pipeline(model_folder)
    names = []
    for i, lora in enumerate(loras):
        lora = Path(lora)
        pipe.load_lora_weights(str(lora.parent), weight_name=lora.name, adapter_name=f"lora{i}")
        names.append(f"lora{i}")
    pipe.set_adapters(names, adapter_weights=[1.0] * len(names))
    pipe.fuse_lora(components=["unet"], adapter_names=names)
    pipe.unload_lora_weights()
    return {name: {k: v.detach().clone() for k, v in model.state_dict().items()} for name, model in components(pipe).items()}


def zip_check(request_path, result_path):
    """Per layer: sum_i ||(W - W_i) X_i||^2 / ||(W_i - W0) X_i||^2 for each merged LoRA and for the plain sum, W
    being the weights diffusers fuses and X_i the inputs of LoRA i, two ways: its calibration activations,
    and an orthonormal basis of its lora_A's row space (the inputs the data-free objective assumes)."""
    request = json.loads(Path(request_path).read_text())
    model = request["model"]
    base = folder_weights(model)["unet"]
    singles = [fused(model, lora)["unet"] for lora in request["loras"]]
    factors = [load_file(lora) for lora in request["loras"]]
    activations = [load_file(a) for a in request["activations"]]
    candidates = {"sum": fused_sum(model, request["loras"])["unet"]}
    candidates.update({name: fused(model, path)["unet"] for name, path in request["merged"].items()})
    report = {"activations": {}, "row space": {}}
    for key in base:
        module = key.removesuffix(".weight")
        if f"unet.{module}" not in activations[0]:
            continue
        probes = {"activations": [x[f"unet.{module}"].double().T for x in activations],
                  "row space": [torch.linalg.qr(f[f"unet.{module}.lora_A.weight"].double().T).Q for f in factors]}
        for inputs, xs in probes.items():
            row = report[inputs].setdefault(module, {})
            for label, weights in candidates.items():
                loss = 0.0
                for single, x in zip(singles, xs):
                    own = ((single[key].double() - base[key].double()) @ x).pow(2).sum()
                    err = ((weights[key].double() - single[key].double()) @ x).pow(2).sum()
                    loss += (err / own).item()
                row[label] = loss
    Path(result_path).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    command = sys.argv[1]
    {"make": lambda: make(sys.argv[2]),
     "check": lambda: check(sys.argv[2], sys.argv[3]),
     "make-zip": lambda: make_zip(sys.argv[2]),
     "zip-check": lambda: zip_check(sys.argv[2], sys.argv[3])}[command]()
