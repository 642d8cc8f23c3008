package io.maas.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.yaml.snakeyaml.Yaml;

/**
 * A small kustomize build in Java, enough for the k8s/ tree: resources (files and nested kustomizations),
 * patches (JSON 6902 lists with a target; strategic-merge maps, including {@code $patch: delete}), images
 * (newName/newTag), namespace, and labels (with includeTemplates). Anything else in a kustomization.yaml
 * is refused, so the tree cannot silently use a feature this renderer (and so the test) ignores.
 */
final class Kustomize {
    private static final Set<String> SUPPORTED = Set.of("apiVersion", "kind", "resources", "patches", "images",
            "namespace", "labels");
    private static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding",
            "CustomResourceDefinition", "PersistentVolume", "StorageClass", "PriorityClass");
    private static final Set<String> WORKLOADS = Set.of("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job");

    private Kustomize() {
    }

    /** The rendered objects of the kustomization in {@code dir}. */
    static List<Map<String, Object>> build(Path dir) {
        Map<String, Object> k = load(dir.resolve("kustomization.yaml")).get(0);
        for (String key : k.keySet()) {
            if (!SUPPORTED.contains(key)) {
                throw new IllegalArgumentException(dir + ": kustomization field '" + key + "' is not supported by this renderer");
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object r : list(k.get("resources"))) {
            Path p = dir.resolve((String) r).normalize();
            if (Files.isDirectory(p)) {
                out.addAll(build(p));
            } else {
                out.addAll(load(p));
            }
        }
        for (Object patchSpec : list(k.get("patches"))) {
            applyPatch(dir, map(patchSpec), out);
        }
        for (Object image : list(k.get("images"))) {
            setImages(map(image), out);
        }
        for (Object l : list(k.get("labels"))) {
            Map<String, Object> labels = map(l);
            Map<String, Object> pairs = map(labels.get("pairs"));
            boolean templates = Boolean.TRUE.equals(labels.get("includeTemplates"));
            for (Map<String, Object> o : out) {
                child(map(o.get("metadata")), "labels").putAll(pairs);
                if (templates && WORKLOADS.contains(o.get("kind"))) {
                    child(child(child(map(o.get("spec")), "template"), "metadata"), "labels").putAll(pairs);
                }
            }
        }
        if (k.get("namespace") != null) {
            for (Map<String, Object> o : out) {
                if (!CLUSTER_SCOPED.contains(o.get("kind"))) {
                    map(o.get("metadata")).put("namespace", k.get("namespace"));
                }
            }
        }
        return out;
    }

    static List<Map<String, Object>> load(Path file) {
        try {
            List<Map<String, Object>> docs = new ArrayList<>();
            for (Object doc : new Yaml().loadAll(Files.readString(file))) {
                if (doc != null) {
                    docs.add(map(doc));
                }
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void applyPatch(Path dir, Map<String, Object> spec, List<Map<String, Object>> objects) {
        String text;
        try {
            text = spec.get("path") != null ? Files.readString(dir.resolve((String) spec.get("path")))
                    : (String) spec.get("patch");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Object patch = new Yaml().load(text);
        Map<String, Object> target = spec.get("target") == null ? null : map(spec.get("target"));
        if (patch instanceof List<?> ops) {
            if (target == null) {
                throw new IllegalArgumentException("a JSON 6902 patch needs a target: " + text);
            }
            List<Map<String, Object>> hits = objects.stream().filter(o -> matches(o, target)).toList();
            if (hits.isEmpty()) {
                throw new IllegalArgumentException("patch target matches nothing: " + target);
            }
            for (Map<String, Object> o : hits) {
                for (Object op : ops) {
                    Json6902.apply(o, map(op));
                }
            }
            return;
        }
        Map<String, Object> smp = map(patch);
        Map<String, Object> t = target != null ? target
                : Map.of("kind", smp.get("kind"), "name", map(smp.get("metadata")).get("name"));
        List<Map<String, Object>> hits = objects.stream().filter(o -> matches(o, t)).toList();
        if (hits.isEmpty()) {
            throw new IllegalArgumentException("patch target matches nothing: " + t);
        }
        if ("delete".equals(smp.get("$patch"))) {
            objects.removeAll(hits);
            return;
        }
        for (Map<String, Object> o : hits) {
            merge(o, smp);
        }
    }

    private static boolean matches(Map<String, Object> o, Map<String, Object> target) {
        return (target.get("kind") == null || target.get("kind").equals(o.get("kind")))
                && (target.get("name") == null || target.get("name").equals(map(o.get("metadata")).get("name")));
    }

    /** Strategic merge, as far as the tree uses it: maps merge, lists of named maps merge by name, else replace. */
    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> into, Map<String, Object> patch) {
        for (var e : patch.entrySet()) {
            Object have = into.get(e.getKey());
            Object want = e.getValue();
            if (have instanceof Map && want instanceof Map) {
                merge((Map<String, Object>) have, (Map<String, Object>) want);
            } else if (have instanceof List<?> hl && want instanceof List<?> wl && !wl.isEmpty()
                    && wl.stream().allMatch(x -> x instanceof Map<?, ?> m && m.containsKey("name"))) {
                List<Object> merged = new ArrayList<>(hl);
                for (Object w : wl) {
                    Object name = ((Map<?, ?>) w).get("name");
                    Object same = merged.stream().filter(x -> x instanceof Map<?, ?> m && name.equals(m.get("name")))
                            .findFirst().orElse(null);
                    if (same == null) {
                        merged.add(w);
                    } else {
                        merge((Map<String, Object>) same, (Map<String, Object>) w);
                    }
                }
                into.put(e.getKey(), merged);
            } else {
                into.put(e.getKey(), want);
            }
        }
    }

    private static void setImages(Map<String, Object> rule, List<Map<String, Object>> objects) {
        String name = (String) rule.get("name");
        for (Map<String, Object> o : objects) {
            for (Map<String, Object> c : Resources.containers(o)) {
                String image = (String) c.get("image");
                String bare = image.replaceAll("@.*$", "").replaceAll(":[^:/]*$", "");
                if (!bare.equals(name)) {
                    continue;
                }
                String tag = image.contains("@") ? image.substring(image.indexOf('@'))
                        : image.length() > bare.length() ? image.substring(bare.length()) : "";
                String newName = rule.get("newName") != null ? (String) rule.get("newName") : bare;
                if (rule.get("newTag") != null) {
                    tag = ":" + rule.get("newTag");
                }
                c.put("image", newName + tag);
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        if (o == null) {
            return new LinkedHashMap<>();
        }
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object o) {
        return o == null ? List.of() : (List<Object>) o;
    }

    static Map<String, Object> child(Map<String, Object> parent, String key) {
        return map(parent.computeIfAbsent(key, x -> new LinkedHashMap<>()));
    }

    /** RFC 6902 add, replace and remove with JSON pointers (the operations the overlays use). */
    static final class Json6902 {
        private Json6902() {
        }

        @SuppressWarnings("unchecked")
        static void apply(Map<String, Object> doc, Map<String, Object> op) {
            String path = (String) op.get("path");
            String[] parts = path.substring(1).split("/");
            Object node = doc;
            for (int i = 0; i < parts.length - 1; i++) {
                node = step(node, unescape(parts[i]), path);
            }
            String last = unescape(parts[parts.length - 1]);
            String kind = (String) op.get("op");
            if (node instanceof Map<?, ?> m) {
                Map<String, Object> target = (Map<String, Object>) m;
                switch (kind) {
                    case "add" -> target.put(last, op.get("value"));
                    case "replace" -> {
                        require(target.containsKey(last), path);
                        target.put(last, op.get("value"));
                    }
                    case "remove" -> {
                        require(target.containsKey(last), path);
                        target.remove(last);
                    }
                    default -> throw new IllegalArgumentException("unsupported op " + kind);
                }
            } else if (node instanceof List<?> l) {
                List<Object> target = (List<Object>) l;
                int index = "-".equals(last) ? target.size() : Integer.parseInt(last);
                switch (kind) {
                    case "add" -> target.add(index, op.get("value"));
                    case "replace" -> target.set(index, op.get("value"));
                    case "remove" -> target.remove(index);
                    default -> throw new IllegalArgumentException("unsupported op " + kind);
                }
            } else {
                throw new IllegalArgumentException("path does not exist: " + path);
            }
        }

        private static Object step(Object node, String key, String path) {
            if (node instanceof Map<?, ?> m) {
                require(m.containsKey(key), path);
                return m.get(key);
            }
            if (node instanceof List<?> l) {
                return l.get(Integer.parseInt(key));
            }
            throw new IllegalArgumentException("path does not exist: " + path);
        }

        private static void require(boolean ok, String path) {
            if (!ok) {
                throw new IllegalArgumentException("path does not exist: " + path);
            }
        }

        private static String unescape(String s) {
            return s.replace("~1", "/").replace("~0", "~");
        }
    }
}
