package io.peft4j.extract;

/**
 * A module's update as a row-major {@code rows x cols} float32 matrix that is read a block of rows
 * at a time and never held whole: the decomposition streams over it several times.
 */
interface DeltaMatrix {

    /** The number of rows. */
    int rows();

    /** The number of columns. */
    int cols();

    /** Writes rows {@code first .. first + count - 1} into {@code dst}, row-major, {@code count * cols()} values. */
    void read(int first, int count, float[] dst);
}
