"""Random-weight LoRA adapters for the serving benchmark, written by PEFT itself: lora_B is filled
with seeded noise (PEFT starts it at zero, which would make every adapter equal the base)."""


def make_random_lora(base, out, seed, r=4):
    """Writes a LoRA adapter of rank r on q_proj and v_proj of the model in base to out."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(int(seed))
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    config = LoraConfig(r=int(r), lora_alpha=2 * int(r), target_modules=["q_proj", "v_proj", "down_proj"])
    model = get_peft_model(model, config)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_" in name:
                param.copy_(torch.randn_like(param) * 0.5)
    model.save_pretrained(out)
    return out
