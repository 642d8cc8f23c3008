package io.maas.deploy;

import static io.maas.deploy.Kustomize.list;
import static io.maas.deploy.Kustomize.map;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Read helpers over rendered Kubernetes objects (plain maps from YAML). */
final class Resources {
    private Resources() {
    }

    static String kind(Map<String, Object> o) {
        return (String) o.get("kind");
    }

    static String name(Map<String, Object> o) {
        return (String) map(o.get("metadata")).get("name");
    }

    static String namespace(Map<String, Object> o) {
        return (String) map(o.get("metadata")).get("namespace");
    }

    static String id(Map<String, Object> o) {
        return kind(o) + "/" + name(o);
    }

    /** The pod spec of a workload (Deployment, StatefulSet, ...), or null. */
    static Map<String, Object> podSpec(Map<String, Object> o) {
        Map<String, Object> spec = map(o.get("spec"));
        Object template = spec.get("template");
        if (template == null || !(Kustomize.map(template).get("spec") instanceof Map)) {
            return null;
        }
        return map(map(template).get("spec"));
    }

    static Map<String, Object> podLabels(Map<String, Object> o) {
        return map(map(map(map(o.get("spec")).get("template")).get("metadata")).get("labels"));
    }

    static List<Map<String, Object>> containers(Map<String, Object> o) {
        Map<String, Object> pod = podSpec(o);
        List<Map<String, Object>> out = new ArrayList<>();
        if (pod == null || !o.get("apiVersion").toString().startsWith("apps/")) {
            return out;
        }
        for (String key : List.of("initContainers", "containers")) {
            list(pod.get(key)).forEach(c -> out.add(map(c)));
        }
        return out;
    }

    /** Whether {@code labels} satisfy a label selector's matchLabels (or a plain map selector, as Services use). */
    static boolean selects(Map<String, Object> selector, Map<String, Object> labels) {
        Map<String, Object> match = selector.containsKey("matchLabels") || selector.containsKey("matchExpressions")
                ? map(selector.get("matchLabels")) : selector;
        if (selector.containsKey("matchExpressions")) {
            throw new IllegalArgumentException("matchExpressions are not used in k8s/; teach the test first");
        }
        return match.entrySet().stream().allMatch(e -> Objects.equals(String.valueOf(labels.get(e.getKey())),
                String.valueOf(e.getValue())));
    }
}
