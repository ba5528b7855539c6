package io.peft4j.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.peft4j.core.Peft4jException;
import io.peft4j.safetensors.DType;
import io.peft4j.safetensors.Tensor;
import io.peft4j.safetensors.TensorInfo;
import io.peft4j.safetensors.TensorSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Hands peft4j tensors to DJL: element types map to {@link DataType}, shapes to {@link Shape}, and
 * the tensors of any safetensors file or adapter folder ({@code io.peft4j.safetensors.Safetensors.open})
 * become an {@link NDList} of named {@link NDArray}s on a caller's {@link NDManager}, for JVM users who
 * run inference with DJL. The mapping needs no engine; creating arrays needs one (the Rust engine that
 * ships inside {@code ai.djl.huggingface:tokenizers} works offline, as does any engine the user adds).
 */
public final class DjlInterop {

    private DjlInterop() {}

    /**
     * The DJL type of a safetensors element type. Agrees with {@link DataType#fromSafetensors} wherever
     * DJL knows the name, and adds the 16-bit and unsigned integers DJL has types for.
     *
     * @throws Peft4jException for the 8-bit and packed sub-byte floats and C64, which DJL has no type for
     */
    public static DataType toDjl(DType dtype) {
        DataType type = djlType(dtype);
        if (type == null) {
            throw new Peft4jException("dtype " + dtype.safetensorsName() + " has no DJL DataType; convert it to F32 or BF16 first");
        }
        return type;
    }

    private static DataType djlType(DType dtype) {
        return switch (dtype) {
            case F64 -> DataType.FLOAT64;
            case F32 -> DataType.FLOAT32;
            case F16 -> DataType.FLOAT16;
            case BF16 -> DataType.BFLOAT16;
            case I64 -> DataType.INT64;
            case I32 -> DataType.INT32;
            case I16 -> DataType.INT16;
            case I8 -> DataType.INT8;
            case U64 -> DataType.UINT64;
            case U32 -> DataType.UINT32;
            case U16 -> DataType.UINT16;
            case U8 -> DataType.UINT8;
            case BOOL -> DataType.BOOLEAN;
            // DJL's COMPLEX64 declares 4 bytes per element, not the 8 of a pair of float32
            case F8_E4M3, F8_E5M2, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, F4, F6_E2M3, F6_E3M2, C64 -> null;
        };
    }

    /**
     * The safetensors element type of a DJL type.
     *
     * @throws Peft4jException for types safetensors cannot store (string, unknown)
     */
    public static DType fromDjl(DataType type) {
        for (DType dtype : DType.values()) {
            if (djlType(dtype) == type) {
                return dtype;
            }
        }
        throw new Peft4jException("DJL DataType " + type + " has no safetensors dtype");
    }

    /** The DJL shape of safetensors dimensions (an empty array is a scalar). */
    public static Shape toDjl(long[] shape) {
        return new Shape(shape.clone());
    }

    /** The dimensions of a DJL shape. */
    public static long[] fromDjl(Shape shape) {
        return shape.getShape();
    }

    /**
     * Copies one tensor into an array on {@code manager}, named after the tensor.
     *
     * @throws Peft4jException if its dtype has no DJL type or it is larger than 2 GiB
     */
    public static NDArray toNDArray(NDManager manager, Tensor tensor) {
        DataType type = toDjl(tensor.dtype());
        long bytes = tensor.data().byteSize();
        if (bytes > Integer.MAX_VALUE) {
            throw new Peft4jException("tensor " + tensor.name() + " is " + bytes + " bytes; DJL buffers hold at most 2 GiB");
        }
        ByteBuffer data = tensor.data().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        NDArray array = manager.create(data, toDjl(tensor.shape()), type);
        array.setName(tensor.name());
        return array;
    }

    /**
     * Copies every tensor of {@code source}, in its data order, into named arrays on {@code manager}.
     * Close the manager (or the list) to free them.
     */
    public static NDList toNDList(NDManager manager, TensorSource source) {
        NDList list = new NDList(source.tensors().size());
        for (TensorInfo info : source.tensors()) {
            list.add(toNDArray(manager, source.tensor(info.name())));
        }
        return list;
    }
}
