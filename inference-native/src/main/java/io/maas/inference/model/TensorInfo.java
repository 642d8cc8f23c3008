package io.maas.inference.model;

import java.util.Arrays;

/** One tensor's entry in a safetensors header: name, element type, shape and absolute byte range in the file. */
public record TensorInfo(String name, TensorDType dtype, long[] shape, long fileOffsetBytes, long sizeBytes) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && fileOffsetBytes == t.fileOffsetBytes
                && sizeBytes == t.sizeBytes;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + shapeString() + " @" + fileOffsetBytes + "+" + sizeBytes;
    }
}
