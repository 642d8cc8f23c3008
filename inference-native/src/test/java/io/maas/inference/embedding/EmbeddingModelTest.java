package io.maas.inference.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.maas.inference.ContextLengthExceededException;
import io.maas.inference.ModelFormatException;

/** A real sentence-embedding model (all-MiniLM-L6-v2 from Maven Central) on DJL's OnnxRuntime engine. */
class EmbeddingModelTest {
    @TempDir
    static Path dir;
    private static EmbeddingModel model;

    /** Copies the model and tokenizer out of the langchain4j artifact on the test class path. */
    static void extractMiniLm(Path target) throws IOException {
        Files.createDirectories(target);
        copy("all-minilm-l6-v2.onnx", target.resolve(EmbeddingModel.MODEL_FILE));
        copy("all-minilm-l6-v2-tokenizer.json", target.resolve(EmbeddingModel.TOKENIZER_FILE));
    }

    private static void copy(String resource, Path to) throws IOException {
        try (InputStream in = EmbeddingModelTest.class.getClassLoader().getResourceAsStream(resource)) {
            Files.copy(in, to);
        }
    }

    @BeforeAll
    static void load() throws IOException {
        extractMiniLm(dir.resolve("all-minilm-l6-v2"));
        model = EmbeddingModel.load(dir.resolve("all-minilm-l6-v2"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void vectorsAreUnitLengthAndSimilarSentencesAreCloser() {
        List<EmbeddingModel.Embedding> e = model.embed(List.of("A cat sits on the mat.", "A kitten is lying on a rug.",
                "Quarterly revenue grew by ten percent."));
        assertEquals(384, e.get(0).vector().length);
        for (EmbeddingModel.Embedding x : e) {
            assertEquals(1.0, dot(x.vector(), x.vector()), 1e-4);
        }
        double catKitten = dot(e.get(0).vector(), e.get(1).vector());
        double catRevenue = dot(e.get(0).vector(), e.get(2).vector());
        assertTrue(catKitten > catRevenue + 0.2, "cat~kitten " + catKitten + " vs cat~revenue " + catRevenue);
        assertEquals(9, e.get(0).tokens(), "[CLS] a cat sits on the mat . [SEP]");
    }

    @Test
    void theSameTextGivesTheSameVector() {
        float[] a = model.embed(List.of("hello world")).get(0).vector();
        float[] b = model.embed(List.of("hello world")).get(0).vector();
        assertEquals(1.0, dot(a, b), 1e-6);
    }

    @Test
    void anInputOverTheWindowIsRefused() {
        assertThrows(ContextLengthExceededException.class, () -> model.embed(List.of("word ".repeat(600))));
    }

    @Test
    void aFolderWithoutTheFilesIsAModelFormatError() {
        assertThrows(ModelFormatException.class, () -> EmbeddingModel.load(dir.resolve("missing")));
    }
}
