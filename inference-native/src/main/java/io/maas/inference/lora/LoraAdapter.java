package io.maas.inference.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.maas.inference.ModelFormatException;
import io.maas.inference.model.HalfFloats;
import io.maas.inference.model.ModelConfig;
import io.maas.inference.model.SafetensorsFile;
import io.maas.inference.model.TensorDType;
import io.maas.inference.model.TensorInfo;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PEFT LoRA adapter ({@code adapter_config.json} + {@code adapter_model.safetensors}) validated against its base
 * model and applied unmerged: {@code y = x·Wᵀ + s·((x·Aᵀ)·Bᵀ)}, the base weights untouched. F32 A/B matrices alias
 * the read-only file mapping (zero-copy); F16/BF16 ones are widened once to F32. All arrays live in the adapter's
 * own {@link NDManager} (a child of the model's), freed by {@link #close()}.
 */
public final class LoraAdapter implements AutoCloseable {

    public static final String CONFIG_FILE = "adapter_config.json";
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    public static final String PICKLE_WEIGHTS_FILE = "adapter_model.bin";
    /** Bound on {@code r}; real adapters use 4..256. */
    public static final int MAX_RANK = 4096;
    private static final long MAX_CONFIG_BYTES = 1L << 20;

    private static final Pattern KEY = Pattern.compile(
            "base_model\\.model\\.model\\.layers\\.(0|[1-9][0-9]{0,5})\\.(self_attn|mlp)\\.([a-z_]+)\\.lora_([AB])\\.weight");

    private final Path directory;
    private final ModelConfig base;
    private final String baseModelNameOrPath;
    private final int rank;
    private final double alpha;
    private final boolean rsLora;
    private final double scale;
    private final Set<LoraTarget> targets;
    private final NDManager manager;
    /** Kept reachable: F32 matrices alias these mappings. */
    private final List<ByteBuffer> mappedBuffers = new ArrayList<>();
    /** [layer][target] → A [r, in] and B [out, r]; null where not targeted. */
    private final NDArray[][] a;
    private final NDArray[][] b;
    private final NDArray scaleArray;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Bytes of the A and B matrices as held for compute (F32): what the registry's byte bound counts. */
    private long sizeBytes;

    private LoraAdapter(Path directory, ModelConfig base, AdapterConfig cfg, NDManager manager, int layers) {
        this.directory = directory;
        this.base = base;
        this.baseModelNameOrPath = cfg.baseModelNameOrPath;
        this.rank = cfg.rank;
        this.alpha = cfg.alpha;
        this.rsLora = cfg.rsLora;
        this.scale = rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
        this.targets = Collections.unmodifiableSet(EnumSet.copyOf(cfg.targets));
        this.manager = manager;
        this.a = new NDArray[layers][LoraTarget.values().length];
        this.b = new NDArray[layers][LoraTarget.values().length];
        this.scaleArray = manager.create((float) scale);
    }

    /**
     * Reads, validates against {@code base} and maps the adapter in {@code dir}. The adapter takes ownership of
     * {@code manager} (closed with the adapter, also when loading fails). Invalid folders raise
     * {@link ModelFormatException} naming the file and, where relevant, the tensor.
     */
    public static LoraAdapter load(Path dir, ModelConfig base, NDManager manager) {
        try {
            return loadInto(dir.toAbsolutePath().normalize(), base, manager);
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Validates the adapter in {@code dir} against {@code base} with exactly the checks of {@link #load}, reading
     * only the config and the safetensors header: nothing is mapped and no {@link NDManager} is needed (a gateway
     * without weights checks uploads this way). Raises {@link ModelFormatException} as {@link #load} does.
     */
    public static void validate(Path dir, ModelConfig base) {
        Path normalized = dir.toAbsolutePath().normalize();
        AdapterConfig cfg = AdapterConfig.read(weightsOf(normalized).resolveSibling(CONFIG_FILE));
        try (SafetensorsFile file = SafetensorsFile.open(weightsOf(normalized))) {
            checkTensors(file, cfg, base, (layer, target, isA, t) -> {
            });
        }
    }

    /** The weights file of an adapter folder, after refusing a missing folder or pickle weights. */
    private static Path weightsOf(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": not a directory");
        }
        Path weightsPath = dir.resolve(WEIGHTS_FILE);
        if (!Files.exists(weightsPath)) {
            Path pickle = dir.resolve(PICKLE_WEIGHTS_FILE);
            if (Files.exists(pickle)) {
                SafetensorsFile.refusePickle(pickle); // throws, saying why
            }
            throw new ModelFormatException(weightsPath + ": file not found");
        }
        return weightsPath;
    }

    private static LoraAdapter loadInto(Path dir, ModelConfig base, NDManager manager) {
        Path weightsPath = weightsOf(dir);
        AdapterConfig cfg = AdapterConfig.read(dir.resolve(CONFIG_FILE));
        LoraAdapter adapter = new LoraAdapter(dir, base, cfg, manager, base.numLayers());
        try (SafetensorsFile file = SafetensorsFile.open(weightsPath)) {
            checkTensors(file, cfg, base, (layer, target, isA, t) -> {
                NDArray[][] slot = isA ? adapter.a : adapter.b;
                slot[layer][target.ordinal()] = adapter.matrix(file, t);
                adapter.sizeBytes += t.elementCount() * Float.BYTES;
            });
        }
        // Any op result that would land in the adapter's manager now fails loudly instead of leaking.
        manager.cap();
        return adapter;
    }

    /** Receives each tensor once it passed every check. */
    private interface TensorSink {
        void accept(int layer, LoraTarget target, boolean isA, TensorInfo tensor);
    }

    /** Every check of an adapter's tensors against its config and the base; each valid tensor goes to the sink. */
    private static void checkTensors(SafetensorsFile file, AdapterConfig cfg, ModelConfig base, TensorSink sink) {
        boolean[][][] seen = new boolean[2][base.numLayers()][LoraTarget.values().length];
        String where = file.path().toString();
        for (TensorInfo t : file.tensors().values()) {
            String name = t.name();
            Matcher m = KEY.matcher(name);
            if (!m.matches()) {
                throw new ModelFormatException(where + ": unexpected tensor '" + name + "' (expected "
                        + "base_model.model.model.layers.{i}.{self_attn|mlp}.{module}.lora_{A|B}.weight)");
            }
            int layer = Integer.parseInt(m.group(1));
            LoraTarget target = LoraTarget.fromModuleName(m.group(3)).orElseThrow(() -> new ModelFormatException(
                    where + ": tensor '" + name + "' names unknown module '" + m.group(3) + "' (LoRA applies to "
                            + "q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)"));
            if (!target.block().equals(m.group(2))) {
                throw new ModelFormatException(where + ": tensor '" + name + "': module " + target.moduleName()
                        + " belongs under ." + target.block() + ".");
            }
            if (layer >= base.numLayers()) {
                throw new ModelFormatException(where + ": tensor '" + name + "': layer " + layer
                        + " is out of range, the base model has " + base.numLayers() + " layers");
            }
            if (!cfg.targets.contains(target)) {
                throw new ModelFormatException(where + ": tensor '" + name + "': module " + target.moduleName()
                        + " is not in target_modules " + cfg.targetNames());
            }
            if (!t.dtype().isSupportedWeight()) {
                throw new ModelFormatException(where + ": tensor '" + name + "' has dtype " + t.dtype()
                        + "; adapters must be F32, F16 or BF16");
            }
            boolean isA = m.group(4).equals("A");
            long[] projection = projectionShape(base, target); // [out, in]
            long[] expected = isA ? new long[] {cfg.rank, projection[1]} : new long[] {projection[0], cfg.rank};
            long[] actual = t.shape();
            if (actual.length == 2 && !Arrays.equals(actual, expected)
                    && (isA ? actual[1] == expected[1] && actual[0] != cfg.rank
                            : actual[0] == expected[0] && actual[1] != cfg.rank)) {
                throw new ModelFormatException(where + ": tensor '" + name + "' has rank "
                        + (isA ? actual[0] : actual[1]) + " but adapter_config.json says r = " + cfg.rank);
            }
            if (!Arrays.equals(actual, expected)) {
                throw new ModelFormatException(where + ": tensor '" + name + "' has shape " + t.shapeString()
                        + ", expected " + Arrays.toString(expected) + " for the base's " + target.moduleName()
                        + " [out, in] = " + Arrays.toString(projection) + " at rank " + cfg.rank);
            }
            seen[isA ? 0 : 1][layer][target.ordinal()] = true;
            sink.accept(layer, target, isA, t);
        }
        for (int layer = 0; layer < base.numLayers(); layer++) {
            for (LoraTarget target : cfg.targets) {
                for (String ab : new String[] {"A", "B"}) {
                    if (!seen[ab.equals("A") ? 0 : 1][layer][target.ordinal()]) {
                        throw new ModelFormatException(where + ": missing tensor '" + tensorName(layer, target, ab)
                                + "' (target_modules " + cfg.targetNames() + " applies to every layer)");
                    }
                }
            }
        }
    }

    /** The PEFT key of one matrix: {@code base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight}. */
    public static String tensorName(int layer, LoraTarget target, String aOrB) {
        return "base_model.model.model.layers." + layer + "." + target.block() + "." + target.moduleName()
                + ".lora_" + aOrB + ".weight";
    }

    /** The base projection's [out, in] for {@code target}. */
    private static long[] projectionShape(ModelConfig base, LoraTarget target) {
        long h = base.hiddenSize();
        long q = (long) base.numHeads() * base.headDim();
        long kv = (long) base.numKvHeads() * base.headDim();
        long i = base.intermediateSize();
        return switch (target) {
            case Q_PROJ -> new long[] {q, h};
            case K_PROJ, V_PROJ -> new long[] {kv, h};
            case O_PROJ -> new long[] {h, q};
            case GATE_PROJ, UP_PROJ -> new long[] {i, h};
            case DOWN_PROJ -> new long[] {h, i};
        };
    }

    private NDArray matrix(SafetensorsFile file, TensorInfo t) {
        ByteBuffer buffer = file.map(t);
        Shape shape = new Shape(t.shape());
        if (t.dtype() == TensorDType.F32) {
            mappedBuffers.add(buffer);
            // Zero-copy: the MappedByteBuffer itself (never a FloatBuffer view, which copies).
            return manager.create(buffer, shape, DataType.FLOAT32);
        }
        // Adapters are small: widen half precision once, in Java (DJL's JNI aborts on BF16 buffers).
        float[] values = new float[Math.toIntExact(t.elementCount())];
        for (int i = 0; i < values.length; i++) {
            short bits = buffer.getShort(i * 2);
            values[i] = t.dtype() == TensorDType.F16 ? HalfFloats.f16ToFloat(bits) : HalfFloats.bf16ToFloat(bits);
        }
        return manager.create(values, shape);
    }

    /**
     * {@code y + s·((x·Aᵀ)·Bᵀ)} for {@code target} in {@code layer}, or {@code y} itself when the adapter does not
     * target it. {@code x} [T, in] is the projection's input and {@code y} [T, out] its base output; the result
     * lives in x's manager.
     */
    public NDArray apply(int layer, LoraTarget target, NDArray x, NDArray y) {
        NDArray matA = a[layer][target.ordinal()];
        if (matA == null) {
            return y;
        }
        if (closed.get()) {
            throw new IllegalStateException("adapter " + directory + " is closed");
        }
        NDArray down = linear(x, matA).mul(scaleArray);
        return y.add(linear(down, b[layer][target.ordinal()]));
    }

    /** A [r, in] of {@code target} in {@code layer}, or null where not targeted; valid while the adapter is open. */
    public NDArray matrixA(int layer, LoraTarget target) {
        return a[layer][target.ordinal()];
    }

    /** B [out, r] of {@code target} in {@code layer}, or null where not targeted; valid while the adapter is open. */
    public NDArray matrixB(int layer, LoraTarget target) {
        return b[layer][target.ordinal()];
    }

    /** x · Wᵀ, result in x's manager (the activation is the first operand). */
    private static NDArray linear(NDArray x, NDArray weight) {
        return x.getNDArrayInternal().linear(x, weight, null).singletonOrThrow();
    }

    /** The adapter folder. */
    public Path directory() {
        return directory;
    }

    /** The base model configuration the adapter was validated against. */
    public ModelConfig baseConfig() {
        return base;
    }

    /** {@code base_model_name_or_path} from adapter_config.json, or empty when absent. */
    public String baseModelNameOrPath() {
        return baseModelNameOrPath;
    }

    /** Bytes of the adapter's matrices in F32 (mapped or widened): its weight against the resident-bytes bound. */
    public long sizeBytes() {
        return sizeBytes;
    }

    public int rank() {
        return rank;
    }

    public double alpha() {
        return alpha;
    }

    public boolean rsLora() {
        return rsLora;
    }

    /** {@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA. */
    public double scale() {
        return scale;
    }

    public Set<LoraTarget> targets() {
        return targets;
    }

    public boolean isClosed() {
        return closed.get();
    }

    /** Frees the adapter's arrays; the caller guarantees no forward step still uses it. */
    @Override
    public void close() {
        if (!closed.getAndSet(true)) {
            manager.close();
            mappedBuffers.clear();
        }
    }

    @Override
    public String toString() {
        return "LoraAdapter[" + directory.getFileName() + ", r=" + rank + ", alpha=" + alpha
                + (rsLora ? ", rslora" : "") + ", " + targets + "]";
    }

    /** The parts of adapter_config.json the engine applies; anything it could not honour is refused. */
    private record AdapterConfig(int rank, double alpha, boolean rsLora, Set<LoraTarget> targets,
                                 String baseModelNameOrPath) {

        List<String> targetNames() {
            List<String> names = new ArrayList<>();
            for (LoraTarget t : targets) {
                names.add(t.moduleName());
            }
            return names;
        }

        static AdapterConfig read(Path path) {
            JsonNode c = ModelConfig.readJsonObject(path, MAX_CONFIG_BYTES);
            String where = path.toString();
            JsonNode peftType = c.get("peft_type");
            if (peftType != null && !peftType.isNull() && !"LORA".equals(peftType.asText())) {
                throw new ModelFormatException(where + ": peft_type " + peftType + " is not supported, only LORA");
            }
            JsonNode r = c.get("r");
            if (r == null || !r.isIntegralNumber() || r.asLong() < 1 || r.asLong() > MAX_RANK) {
                throw new ModelFormatException(where + ": r must be an integer between 1 and " + MAX_RANK
                        + ", was " + r);
            }
            JsonNode alphaNode = c.get("lora_alpha");
            double alpha = 8; // PEFT's default
            if (alphaNode != null && !alphaNode.isNull()) {
                if (!alphaNode.isNumber() || !(alphaNode.asDouble() > 0) || Double.isInfinite(alphaNode.asDouble())) {
                    throw new ModelFormatException(where + ": lora_alpha must be a positive number, was " + alphaNode);
                }
                alpha = alphaNode.asDouble();
            }
            boolean rs = flag(c, "use_rslora", where, false);
            if (flag(c, "use_dora", where, false)) {
                throw new ModelFormatException(where + ": use_dora is not supported");
            }
            if (flag(c, "fan_in_fan_out", where, false)) {
                throw new ModelFormatException(where + ": fan_in_fan_out is not supported (Llama projections are "
                        + "[out, in])");
            }
            JsonNode bias = c.get("bias");
            if (bias != null && !bias.isNull() && !"none".equals(bias.asText())) {
                throw new ModelFormatException(where + ": bias " + bias + " is not supported, only \"none\"");
            }
            for (String field : List.of("rank_pattern", "alpha_pattern")) {
                JsonNode n = c.get(field);
                if (n != null && !n.isNull() && !(n.isObject() && n.isEmpty())) {
                    throw new ModelFormatException(where + ": " + field + " is not supported");
                }
            }
            for (String field : List.of("layers_to_transform", "modules_to_save")) {
                JsonNode n = c.get(field);
                if (n != null && !n.isNull() && !(n.isArray() && n.isEmpty())) {
                    throw new ModelFormatException(where + ": " + field + " is not supported");
                }
            }
            JsonNode modules = c.get("target_modules");
            if (modules == null || !modules.isArray() || modules.isEmpty()) {
                throw new ModelFormatException(where + ": target_modules must be a non-empty list of module names "
                        + "(q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)");
            }
            Set<LoraTarget> targets = EnumSet.noneOf(LoraTarget.class);
            for (JsonNode m : modules) {
                String name = m.isTextual() ? m.asText() : String.valueOf(m);
                targets.add(LoraTarget.fromModuleName(name).orElseThrow(() -> new ModelFormatException(where
                        + ": target_modules names unknown module '" + name + "' (LoRA applies to q_proj, k_proj, "
                        + "v_proj, o_proj, gate_proj, up_proj, down_proj)")));
            }
            JsonNode baseName = c.get("base_model_name_or_path");
            String baseModel = baseName != null && baseName.isTextual() ? baseName.asText() : "";
            return new AdapterConfig(r.asInt(), alpha, rs, targets, baseModel);
        }

        private static boolean flag(JsonNode c, String field, String where, boolean fallback) {
            JsonNode n = c.get(field);
            if (n == null || n.isNull()) {
                return fallback;
            }
            if (!n.isBoolean()) {
                throw new ModelFormatException(where + ": " + field + " must be true or false, was " + n);
            }
            return n.asBoolean();
        }
    }
}
