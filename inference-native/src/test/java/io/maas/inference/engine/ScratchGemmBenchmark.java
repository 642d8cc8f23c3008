package io.maas.inference.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class ScratchGemmBenchmark {
    @Test
    void gemm() {
        PyTorchSetup.apply();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            long n = 1536, k = 576;
            int layers = 30;
            NDArray[] w = new NDArray[layers];
            NDArray[] blocks = new NDArray[layers];
            for (int i = 0; i < layers; i++) {
                w[i] = m.randomNormal(new Shape(n, k));
                blocks[i] = w[i].reshape(8, n / 8, k).transpose(0, 2, 1);
            }
            for (int b : new int[] {1, 4, 16}) {
                NDArray x = m.randomNormal(new Shape(b, k));
                for (int rep = 0; rep < 3; rep++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < layers; i++) {
                        x.getNDArrayInternal().linear(x, w[i], null).singletonOrThrow().close();
                    }
                    long t1 = System.nanoTime();
                    for (int i = 0; i < layers; i++) {
                        try (NDArray y = x.matMul(blocks[i])) {
                            y.transpose(1, 0, 2).reshape(b, n).close();
                        }
                    }
                    long t2 = System.nanoTime();
                    NDArray xt = x.transpose();
                    for (int i = 0; i < layers; i++) {
                        w[i].matMul(xt).close();
                    }
                    long t3 = System.nanoTime();
                    double bytes = layers * n * k * 4.0;
                    System.out.printf("B=%d linear %.1f GB/s, blocked %.1f GB/s, W*xT %.1f GB/s%n", b,
                            bytes / (t1 - t0), bytes / (t2 - t1), bytes / (t3 - t2));
                }
            }
        }
    }
}
