package io.peft4j.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file past 4 GB (sparse, so it costs no disk): offsets are longs everywhere. */
class LargeFileTest {

    @TempDir
    Path dir;

    @Test
    void readsTheLastTensorOfASparseFilePast4GB() throws IOException {
        long big = 5L << 30; // one 5 GiB U8 tensor of zeros (a hole), then a small BF16 tensor
        String header = "{\"hole\":{\"dtype\":\"U8\",\"shape\":[" + big + "],\"data_offsets\":[0," + big + "]},"
                + "\"last\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[" + big + "," + (big + 8) + "]}}";
        byte[] json = header.getBytes(StandardCharsets.US_ASCII);
        long dataStart = 8 + json.length;
        Path file = dir.resolve("sparse.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(dataStart + big + 8);
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).array());
            raf.write(json);
            raf.seek(dataStart + big);
            ByteBuffer last = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : new float[] {1.5f, -2f, 0.25f, 3e10f}) {
                last.putShort(Tensor.floatToBf16Bits(f));
            }
            raf.write(last.array());
        }
        try (TensorSource source = Safetensors.open(file)) {
            TensorInfo hole = source.info("hole");
            assertEquals(big, hole.numel());
            assertEquals(big, source.tensor("hole").data().byteSize());
            Tensor last = source.tensor("last");
            assertEquals(big, last.info().begin());
            assertArrayEquals(new float[] {1.5f, -2f, 0.25f, Tensor.bf16BitsToFloat(Tensor.floatToBf16Bits(3e10f))},
                    last.toFloatArray());
            assertEquals(0, source.tensor("hole").data().get(ValueLayout.JAVA_BYTE, big - 1));
        }
    }
}
