package io.maas.inference.model;

import com.fasterxml.jackson.databind.JsonNode;
import io.maas.inference.ModelFormatException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The weights of a model directory (one safetensors file or index-listed shards), checked against its config. */
public final class Checkpoint implements AutoCloseable {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** Shard names are plain file names: an index must not point outside the model directory. */
    private static final Pattern SHARD_NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}\\.safetensors");
    /** Old checkpoints carry precomputed rotary tables; they are recomputed from the config instead. */
    private static final Pattern IGNORED_TENSOR = Pattern.compile("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq");

    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> fileByTensor;

    private Checkpoint(List<SafetensorsFile> files, Map<String, SafetensorsFile> fileByTensor) {
        this.files = List.copyOf(files);
        this.fileByTensor = Collections.unmodifiableMap(fileByTensor);
    }

    /** Opens the directory's safetensors and checks that every tensor the config implies is there, with its shape. */
    public static Checkpoint open(Path modelDir, ModelConfig config) {
        Checkpoint checkpoint = openFiles(modelDir);
        try {
            checkpoint.checkAgainst(config, modelDir.resolve(ModelConfig.CONFIG_FILE));
            return checkpoint;
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /** Opens {@code model.safetensors}, or the shards of {@code model.safetensors.index.json}; never a pickle. */
    public static Checkpoint openFiles(Path modelDir) {
        Path single = modelDir.resolve(SINGLE_FILE);
        Path index = modelDir.resolve(INDEX_FILE);
        if (Files.isRegularFile(single)) {
            SafetensorsFile f = SafetensorsFile.open(single);
            Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
            f.tensors().keySet().forEach(name -> byTensor.put(name, f));
            return new Checkpoint(List.of(f), byTensor);
        }
        if (Files.isRegularFile(index)) {
            return openShards(modelDir, index);
        }
        refusePickles(modelDir);
        throw new ModelFormatException(single + ": file not found (nor " + INDEX_FILE + ")");
    }

    public TensorInfo tensor(String name) {
        SafetensorsFile f = fileOf(name);
        return f.tensor(name);
    }

    public SafetensorsFile fileOf(String name) {
        SafetensorsFile f = fileByTensor.get(name);
        if (f == null) {
            throw new ModelFormatException(files.get(0).path() + ": missing tensor '" + name + "'");
        }
        return f;
    }

    /** Maps the tensor's bytes READ_ONLY (see {@link SafetensorsFile#map}). */
    public ByteBuffer map(String name) {
        return fileOf(name).map(tensor(name));
    }

    public List<SafetensorsFile> files() {
        return files;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }

    private void checkAgainst(ModelConfig config, Path configPath) {
        Map<String, long[]> expected = config.expectedTensors();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            SafetensorsFile f = fileByTensor.get(e.getKey());
            if (f == null) {
                throw new ModelFormatException(files.get(0).path() + ": missing tensor '" + e.getKey()
                        + "' that " + configPath + " implies");
            }
            TensorInfo t = f.tensor(e.getKey());
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new ModelFormatException(f.path() + ": tensor '" + t.name() + "' has shape " + t.shapeString()
                        + " but " + configPath + " implies " + Arrays.toString(e.getValue()));
            }
            if (!t.dtype().isSupportedWeight()) {
                throw new ModelFormatException(f.path() + ": tensor '" + t.name() + "' has dtype " + t.dtype()
                        + "; weights must be F32, F16 or BF16");
            }
        }
        for (Map.Entry<String, SafetensorsFile> e : fileByTensor.entrySet()) {
            String name = e.getKey();
            boolean tiedCopy = config.tiedEmbeddings() && name.equals("lm_head.weight");
            if (!expected.containsKey(name) && !tiedCopy && !IGNORED_TENSOR.matcher(name).matches()) {
                throw new ModelFormatException(e.getValue().path() + ": unexpected tensor '" + name + "' for "
                        + configPath + " (" + config.numLayers() + " layers, tie_word_embeddings="
                        + config.tiedEmbeddings() + ")");
            }
        }
    }

    private static Checkpoint openShards(Path modelDir, Path index) {
        JsonNode root = ModelConfig.readJsonObject(index);
        JsonNode weightMap = root.get("weight_map");
        if (weightMap == null || !weightMap.isObject() || weightMap.isEmpty()) {
            throw new ModelFormatException(index + ": weight_map missing or empty");
        }
        Map<String, String> shardByTensor = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            String shard = e.getValue().isTextual() ? e.getValue().textValue() : "";
            if (!SHARD_NAME.matcher(shard).matches()) {
                throw new ModelFormatException(index + ": tensor '" + e.getKey() + "' maps to '" + e.getValue()
                        + "', not a .safetensors file name in this directory");
            }
            shardByTensor.put(e.getKey(), shard);
        }
        Map<String, SafetensorsFile> openByName = new LinkedHashMap<>();
        try {
            for (String shard : shardByTensor.values()) {
                if (!openByName.containsKey(shard)) {
                    openByName.put(shard, SafetensorsFile.open(modelDir.resolve(shard)));
                }
            }
            Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : shardByTensor.entrySet()) {
                SafetensorsFile f = openByName.get(e.getValue());
                if (!f.tensors().containsKey(e.getKey())) {
                    throw new ModelFormatException(f.path() + ": missing tensor '" + e.getKey() + "' that " + index
                            + " places there");
                }
                byTensor.put(e.getKey(), f);
            }
            for (SafetensorsFile f : openByName.values()) {
                for (String name : f.tensors().keySet()) {
                    if (byTensor.get(name) != f) {
                        throw new ModelFormatException(f.path() + ": tensor '" + name + "' is not listed for this shard in "
                                + index);
                    }
                }
            }
            return new Checkpoint(new ArrayList<>(openByName.values()), byTensor);
        } catch (RuntimeException e) {
            openByName.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static void refusePickles(Path modelDir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(modelDir)) {
            for (Path p : entries) {
                SafetensorsFile.refusePickle(p);
            }
        } catch (IOException e) {
            throw new ModelFormatException(modelDir + ": cannot list the model directory: " + e.getMessage(), e);
        }
    }
}
