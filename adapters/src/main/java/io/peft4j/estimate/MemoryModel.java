package io.peft4j.estimate;

import io.peft4j.tuning.TrainMethod;
/**
 * Peak memory of a training step on one device, by component. With P the model's parameters
 * (tied ones once), Q the quantized ones (weights of linear modules except the LM head), A the adapter's,
 * w the precision's bytes per weight and a the adapter dtype's:
 *
 * <ul>
 *   <li>weights: full/LoRA/DoRA {@code P*w} (+ a 2-byte autocast copy in {@code mixed});
 *       QLoRA {@code NF4(Q)} (see {@link Nf4}: 0.5 byte + 0.5 bit, or 0.127 bit with double
 *       quantization, per weight) {@code + (P-Q)*4} (PEFT's kbit preparation upcasts them; {@code w}
 *       without it); plus {@code A*a} for adapters;</li>
 *   <li>gradients: only for trained parameters, {@code P*w} (full) or {@code A*a};</li>
 *   <li>optimizer states: per trained tensor, see {@link Optimizer#stateBytes} (AdamW: two states
 *       in the parameter dtype; 8-bit: ~2 bytes; paged: the same sizes, evictable);</li>
 *   <li>activations and logits: {@link ActivationModel} for one micro-batch (gradient accumulation
 *       runs micro-batches one after another and does not raise the peak);</li>
 *   <li>overhead: {@value #OVERHEAD_MIB} MiB for the CUDA context, cuBLAS/cuDNN workspaces and
 *       caching-allocator slack.</li>
 * </ul>
 *
 * <p>All components are summed: a conservative peak, since in practice gradients of early layers are
 * created while activations of late layers are already freed.
 */
public final class MemoryModel {

    /** The constant framework overhead, in MiB. */
    public static final long OVERHEAD_MIB = 1024;

    private MemoryModel() {}

    /** The memory breakdown of training {@code model} as {@code plan} says. */
    public static MemoryBreakdown estimate(ModelShapes model, TrainingPlan plan) {
        AdapterShapes adapter = adapter(model, plan);
        Precision p = plan.precision();
        Optimizer opt = plan.optimizer();
        long params = model.parameterCount();
        long weights;
        long gradients;
        long states = opt.sharedBytes();
        if (plan.method() == TrainMethod.FULL) {
            weights = params * (p.weightBytes() + p.castCopyBytes());
            gradients = params * p.weightBytes();
            for (TensorShape t : model.tensors()) {
                if (!model.tiedTensors().contains(t.name())) {
                    states += opt.stateBytes(t.numel(), p.weightBytes());
                }
            }
        } else {
            int a = plan.adapterPrecision().weightBytes();
            long adapterParams = adapter.parameterCount();
            if (plan.method() == TrainMethod.QLORA) {
                long quantized = 0;
                long quantizedBytes = 0;
                for (ModuleShape m : model.modules()) {
                    if (m.isLinear() && !m.name().equals(model.outputHead())) {
                        quantized += m.inFeatures() * m.outFeatures();
                        quantizedBytes += Nf4.bytes(m.inFeatures() * m.outFeatures(), plan.doubleQuant());
                    }
                }
                weights = quantizedBytes + (params - quantized) * (plan.upcastNonQuantized() ? 4L : p.weightBytes());
            } else {
                weights = params * (p.weightBytes() + p.castCopyBytes());
            }
            weights += adapterParams * a;
            gradients = adapterParams * a;
            for (TensorShape t : adapter.tensors()) {
                states += opt.stateBytes(t.numel(), a);
            }
        }
        ActivationModel.Result act = ActivationModel.of(model, plan, adapter);
        return new MemoryBreakdown(weights, gradients, states, act.activations(), act.logits(),
                OVERHEAD_MIB << 20, opt.paged() ? states : 0);
    }

    /** The adapter a plan trains, or null for full fine-tuning. */
    static AdapterShapes adapter(ModelShapes model, TrainingPlan plan) {
        if (!plan.method().isAdapter()) {
            return null;
        }
        return AdapterShapes.of(model, plan.targets(), plan.rank(), plan.method() == TrainMethod.DORA);
    }
}
