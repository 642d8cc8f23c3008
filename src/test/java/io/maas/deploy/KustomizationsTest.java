package io.maas.deploy;

import static io.maas.deploy.Kustomize.list;
import static io.maas.deploy.Kustomize.map;
import static io.maas.deploy.Resources.containers;
import static io.maas.deploy.Resources.id;
import static io.maas.deploy.Resources.kind;
import static io.maas.deploy.Resources.name;
import static io.maas.deploy.Resources.podLabels;
import static io.maas.deploy.Resources.podSpec;
import static io.maas.deploy.Resources.selects;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.maas.app.config.MaasConfig;
import io.maas.billing.metering.UsageEvent;

/**
 * Renders k8s/overlays/{dev,prod} (no kubectl needed) and checks that every reference resolves: Service and
 * PodDisruptionBudget selectors pick pods, HPA and StatefulSet targets exist, ConfigMaps, Secrets and volumes
 * exist or are declared in k8s/external.yaml, probes use the application's health endpoints on a declared port,
 * MAAS_* variables are documented settings, topics match the application's, NetworkPolicies select something.
 */
class KustomizationsTest {
    private static final Path K8S = Path.of("..", "k8s");
    /** Served by quarkus-smallrye-health; ObservabilityTest asserts both answer UP. */
    private static final Set<String> HEALTH_PATHS = Set.of("/q/health/live", "/q/health/ready");
    private static final Set<String> ROLES = Set.of("gateway", "worker", "billing");
    private static final Set<String> POD_WORKLOADS = Set.of("Deployment", "StatefulSet");

    private static List<Map<String, Object>> render(String overlay) {
        return Kustomize.build(K8S.resolve("overlays").resolve(overlay));
    }

    private static Map<String, Object> external() {
        return Kustomize.load(K8S.resolve("external.yaml")).get(0);
    }

    private static Set<String> names(List<Map<String, Object>> objects, String kind) {
        return objects.stream().filter(o -> kind.equals(kind(o))).map(Resources::name).collect(Collectors.toSet());
    }

    private static List<Map<String, Object>> workloads(List<Map<String, Object>> objects) {
        return objects.stream().filter(o -> POD_WORKLOADS.contains(kind(o))).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = { "dev", "prod" })
    void everyServiceSelectsPodsThatDeclareItsTargetPort(String overlay) {
        List<Map<String, Object>> objects = render(overlay);
        for (Map<String, Object> svc : objects.stream().filter(o -> "Service".equals(kind(o))).toList()) {
            Map<String, Object> selector = map(map(svc.get("spec")).get("selector"));
            assertFalse(selector.isEmpty(), id(svc) + " has a selector");
            List<Map<String, Object>> picked = workloads(objects).stream().filter(w -> selects(selector, podLabels(w)))
                    .toList();
            assertFalse(picked.isEmpty(), id(svc) + " selects no pod template: " + selector);
            for (Object p : list(map(svc.get("spec")).get("ports"))) {
                Object target = map(p).get("targetPort");
                if (target instanceof String portName) {
                    for (Map<String, Object> w : picked) {
                        assertTrue(portNames(w).contains(portName), id(svc) + " targets port '" + portName
                                + "' that " + id(w) + " does not declare");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "dev", "prod" })
    void disruptionBudgetsAutoscalersAndStatefulSetsPointAtWhatExists(String overlay) {
        List<Map<String, Object>> objects = render(overlay);
        for (Map<String, Object> pdb : objects.stream().filter(o -> "PodDisruptionBudget".equals(kind(o))).toList()) {
            Map<String, Object> selector = map(map(pdb.get("spec")).get("selector"));
            assertTrue(workloads(objects).stream().anyMatch(w -> selects(selector, podLabels(w))),
                    id(pdb) + " selects no pods");
        }
        for (Map<String, Object> hpa : objects.stream().filter(o -> "HorizontalPodAutoscaler".equals(kind(o))).toList()) {
            Map<String, Object> ref = map(map(hpa.get("spec")).get("scaleTargetRef"));
            assertTrue(names(objects, (String) ref.get("kind")).contains(ref.get("name")), id(hpa) + " targets " + ref);
            Map<String, Object> spec = map(hpa.get("spec"));
            assertTrue((Integer) spec.get("minReplicas") <= (Integer) spec.get("maxReplicas"), id(hpa));
        }
        for (Map<String, Object> sts : objects.stream().filter(o -> "StatefulSet".equals(kind(o))).toList()) {
            String service = (String) map(sts.get("spec")).get("serviceName");
            Map<String, Object> headless = objects.stream()
                    .filter(o -> "Service".equals(kind(o)) && service.equals(name(o))).findFirst().orElse(null);
            assertTrue(headless != null && "None".equals(map(headless.get("spec")).get("clusterIP")),
                    id(sts) + " needs the headless Service " + service);
        }
        // Workload selectors must select their own template (the API server refuses the object otherwise).
        for (Map<String, Object> w : workloads(objects)) {
            assertTrue(selects(map(map(w.get("spec")).get("selector")), podLabels(w)), id(w) + " selector vs template");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "dev", "prod" })
    void configMapsSecretsAndVolumesExistOrAreDeclaredExternal(String overlay) {
        List<Map<String, Object>> objects = render(overlay);
        Map<String, Object> external = external();
        Set<String> configMaps = union(names(objects, "ConfigMap"), map(external.get("configMaps")).keySet());
        Set<String> secrets = union(names(objects, "Secret"), map(external.get("secrets")).keySet());
        Set<String> claims = union(names(objects, "PersistentVolumeClaim"),
                map(external.get("persistentVolumeClaims")).keySet());
        List<String> missing = new ArrayList<>();
        Set<String> usedSecrets = new TreeSet<>();
        for (Map<String, Object> w : workloads(objects)) {
            for (Map<String, Object> c : containers(w)) {
                for (Object from : list(c.get("envFrom"))) {
                    check(map(map(from).get("configMapRef")).get("name"), configMaps, id(w) + " envFrom configMap", missing);
                    check(map(map(from).get("secretRef")).get("name"), secrets, id(w) + " envFrom secret", missing);
                }
                for (Object env : list(c.get("env"))) {
                    Map<String, Object> valueFrom = map(map(env).get("valueFrom"));
                    Object secret = map(valueFrom.get("secretKeyRef")).get("name");
                    check(secret, secrets, id(w) + " env secret", missing);
                    if (secret != null) {
                        usedSecrets.add((String) secret);
                    }
                    check(map(valueFrom.get("configMapKeyRef")).get("name"), configMaps, id(w) + " env configMap",
                            missing);
                }
            }
            for (Object v : list(podSpec(w).get("volumes"))) {
                check(map(map(v).get("configMap")).get("name"), configMaps, id(w) + " volume", missing);
                check(map(map(v).get("secret")).get("secretName"), secrets, id(w) + " volume", missing);
                check(map(map(v).get("persistentVolumeClaim")).get("claimName"), claims, id(w) + " volume", missing);
            }
        }
        // Secrets named by the operators' custom resources.
        for (Map<String, Object> kc : objects.stream().filter(o -> "Keycloak".equals(kind(o))).toList()) {
            Map<String, Object> db = map(map(kc.get("spec")).get("db"));
            check(map(db.get("usernameSecret")).get("name"), secrets, id(kc), missing);
            check(map(db.get("passwordSecret")).get("name"), secrets, id(kc), missing);
            usedSecrets.add((String) map(db.get("usernameSecret")).get("name"));
        }
        for (Map<String, Object> cluster : objects.stream().filter(o -> "Cluster".equals(kind(o))).toList()) {
            Map<String, Object> s3 = map(map(map(map(cluster.get("spec")).get("backup")).get("barmanObjectStore"))
                    .get("s3Credentials"));
            for (Object ref : s3.values()) {
                check(map(ref).get("name"), secrets, id(cluster) + " backup", missing);
            }
        }
        assertTrue(missing.isEmpty(), "unresolved references (create them or list them in k8s/external.yaml): " + missing);
        // Operator-made secrets must belong to a cluster that exists in this overlay.
        for (String s : usedSecrets) {
            if (s.endsWith("-app") && map(external.get("secrets")).containsKey(s)) {
                String cluster = s.substring(0, s.length() - "-app".length());
                assertTrue(names(objects, "Cluster").contains(cluster), s + " comes from CloudNativePG Cluster " + cluster);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "dev", "prod" })
    void everyContainerHasProbesOnHealthEndpointsResourcesAndARole(String overlay) {
        for (Map<String, Object> w : workloads(render(overlay))) {
            for (Map<String, Object> c : containers(w)) {
                for (String probe : List.of("readinessProbe", "livenessProbe")) {
                    Map<String, Object> get = map(map(c.get(probe)).get("httpGet"));
                    assertTrue(c.containsKey(probe), id(w) + " has a " + probe);
                    assertTrue(HEALTH_PATHS.contains(get.get("path")), id(w) + " " + probe + " path " + get.get("path"));
                    Object port = get.get("port");
                    assertTrue(port instanceof Integer || portNames(w).contains(port), id(w) + " probe port " + port);
                }
                assertEquals("/q/health/ready", map(map(c.get("readinessProbe")).get("httpGet")).get("path"),
                        id(w) + " readiness uses the readiness endpoint");
                assertEquals("/q/health/live", map(map(c.get("livenessProbe")).get("httpGet")).get("path"),
                        id(w) + " liveness uses the liveness endpoint (a broker outage must not restart pods)");
                Map<String, Object> resources = map(c.get("resources"));
                assertTrue(map(resources.get("requests")).containsKey("cpu")
                        && map(resources.get("requests")).containsKey("memory")
                        && map(resources.get("limits")).containsKey("memory"), id(w) + " sets requests and a memory limit");
                String role = env(c).get("MAAS_ROLE");
                assertTrue(ROLES.contains(role), id(w) + " sets MAAS_ROLE to one of " + ROLES + ", was " + role);
                assertTrue(((String) c.get("image")).contains(":"), id(w) + " image has a tag: " + c.get("image"));
            }
        }
    }

    @Test
    void rolesAreValuesOfTheRoleSetting() {
        Set<String> roles = new HashSet<>();
        for (MaasConfig.Role r : MaasConfig.Role.values()) {
            roles.add(r.name().toLowerCase());
        }
        assertTrue(roles.containsAll(ROLES), "MAAS_ROLE values must be maas.role values: " + roles);
    }

    @ParameterizedTest
    @ValueSource(strings = { "dev", "prod" })
    void everyMaasVariableIsADocumentedSetting(String overlay) throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
        Set<String> configKeys = new HashSet<>();
        collectKeys("maas", MaasConfig.class, configKeys);
        Set<String> envOfKeys = configKeys.stream().map(k -> k.toUpperCase().replaceAll("[^A-Z0-9]", "_"))
                .collect(Collectors.toSet());
        List<String> unknown = new ArrayList<>();
        List<Map<String, Object>> objects = render(overlay);
        Set<String> vars = new TreeSet<>();
        for (Map<String, Object> o : objects) {
            if ("ConfigMap".equals(kind(o))) {
                vars.addAll(map(o.get("data")).keySet());
            }
        }
        for (Map<String, Object> w : workloads(objects)) {
            for (Map<String, Object> c : containers(w)) {
                vars.addAll(env(c).keySet());
            }
        }
        for (String v : vars) {
            if (v.startsWith("MAAS_") && !envOfKeys.contains(v) && !doc.contains("`" + v + "`")) {
                unknown.add(v);
            }
        }
        assertTrue(unknown.isEmpty(), "MAAS_* variables that are neither maas.* keys nor documented in "
                + "docs/configuration.md: " + unknown);
    }

    @ParameterizedTest
    @ValueSource(strings = { "dev", "prod" })
    void theApplicationsTopicsExistWithPartitionsAndRetention(String overlay) throws IOException {
        List<Map<String, Object>> objects = render(overlay);
        Set<String> topics = new TreeSet<>(List.of(UsageEvent.TOPIC, UsageEvent.DEAD_LETTER_TOPIC));
        Matcher m = Pattern.compile("(?m)^mp\\.messaging\\.[a-z]+\\.[^.]+\\.topic=(.+)$")
                .matcher(Files.readString(Path.of("main", "resources", "application.properties")));
        while (m.find()) {
            topics.add(m.group(1).trim());
        }
        Set<String> kafkas = names(objects, "Kafka");
        for (String topic : topics) {
            Map<String, Object> kt = objects.stream().filter(o -> "KafkaTopic".equals(kind(o)))
                    .filter(o -> topic.equals(map(o.get("spec")).getOrDefault("topicName", name(o)))).findFirst()
                    .orElse(null);
            assertTrue(kt != null, "no KafkaTopic for the application's topic " + topic);
            String cluster = (String) map(map(kt.get("metadata")).get("labels")).get("strimzi.io/cluster");
            assertTrue(kafkas.contains(cluster), id(kt) + " names Kafka cluster " + cluster);
            Map<String, Object> spec = map(kt.get("spec"));
            assertTrue((Integer) spec.get("partitions") > 0, id(kt) + " partitions");
            assertTrue(map(spec.get("config")).containsKey("retention.ms"), id(kt) + " retention");
        }
        Map<String, Object> usage = objects.stream()
                .filter(o -> "KafkaTopic".equals(kind(o)) && UsageEvent.TOPIC.equals(name(o))).findFirst().orElseThrow();
        int replicas = (Integer) map(usage.get("spec")).get("replicas");
        int minIsr = ((Number) map(map(usage.get("spec")).get("config")).get("min.insync.replicas")).intValue();
        assertTrue(minIsr <= replicas, "min.insync.replicas " + minIsr + " > replicas " + replicas);
        for (Map<String, Object> pool : objects.stream().filter(o -> "KafkaNodePool".equals(kind(o))).toList()) {
            assertTrue((Integer) map(pool.get("spec")).get("replicas") >= replicas, "enough brokers for " + replicas
                    + " replicas");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "dev", "prod" })
    void networkPoliciesSelectPodsThatExistAndNamedPortsTheyDeclare(String overlay) {
        List<Map<String, Object>> objects = render(overlay);
        Set<String> externalNamespaces = map(external().get("namespaces")).keySet();
        for (Map<String, Object> np : objects.stream().filter(o -> "NetworkPolicy".equals(kind(o))).toList()) {
            Map<String, Object> spec = map(np.get("spec"));
            Map<String, Object> selector = map(spec.get("podSelector"));
            assertTrue(selectsSomething(objects, selector), id(np) + " podSelector matches nothing: " + selector);
            for (Object rule : list(spec.get("ingress"))) {
                for (Object from : list(map(rule).get("from"))) {
                    Map<String, Object> peer = map(from);
                    if (peer.containsKey("podSelector")) {
                        assertTrue(selectsSomething(objects, map(peer.get("podSelector"))), id(np) + " from " + peer);
                    }
                    if (peer.containsKey("namespaceSelector")) {
                        Object ns = map(map(peer.get("namespaceSelector")).get("matchLabels"))
                                .get("kubernetes.io/metadata.name");
                        assertTrue(names(objects, "Namespace").contains(ns) || externalNamespaces.contains(ns),
                                id(np) + " names namespace " + ns + " (declare it in k8s/external.yaml)");
                    }
                }
                for (Object port : list(map(rule).get("ports"))) {
                    Object p = map(port).get("port");
                    if (p instanceof String portName) {
                        workloads(objects).stream().filter(w -> selects(selector, podLabels(w))).forEach(w ->
                                assertTrue(portNames(w).contains(portName), id(np) + " port " + portName + " on " + id(w)));
                    }
                }
            }
        }
    }

    /** The one workload whose container sets MAAS_ROLE to {@code role}. */
    private static Map<String, Object> workloadOfRole(List<Map<String, Object>> objects, String role) {
        List<Map<String, Object>> found = workloads(objects).stream()
                .filter(w -> containers(w).stream().anyMatch(c -> role.equals(env(c).get("MAAS_ROLE")))).toList();
        assertEquals(1, found.size(), "one workload of role " + role);
        return found.get(0);
    }

    private static Map<String, Object> envEntry(Map<String, Object> container, String name) {
        return list(container.get("env")).stream().map(Kustomize::map).filter(e -> name.equals(e.get("name")))
                .findFirst().orElse(Map.of());
    }

    /** Ports a workload's containers declare: names and numbers, as strings. */
    private static Map<String, Integer> containerPorts(Map<String, Object> workload) {
        Map<String, Integer> ports = new java.util.HashMap<>();
        for (Map<String, Object> c : containers(workload)) {
            for (Object p : list(c.get("ports"))) {
                Integer number = (Integer) map(p).get("containerPort");
                ports.put(String.valueOf(number), number);
                if (map(p).get("name") != null) {
                    ports.put((String) map(p).get("name"), number);
                }
            }
        }
        return ports;
    }

    @ParameterizedTest
    @ValueSource(strings = { "dev", "prod" })
    void gatewaysFindWorkersThroughTheHeadlessServiceAndShareTheirSecret(String overlay) {
        List<Map<String, Object>> objects = render(overlay);
        Map<String, Object> gateway = workloadOfRole(objects, "gateway");
        Map<String, Object> worker = workloadOfRole(objects, "worker");
        Map<String, Object> gw = containers(gateway).get(0);
        Map<String, Object> wk = containers(worker).get(0);

        // MAAS_FLEET_WORKERS_DNS = _<port name>._tcp.<headless Service>.<namespace>.svc.cluster.local
        String dns = env(gw).get("MAAS_FLEET_WORKERS_DNS");
        Matcher m = Pattern.compile("_([a-z0-9-]+)\\._tcp\\.([a-z0-9-]+)\\.([a-z0-9-]+)\\.svc\\.cluster\\.local")
                .matcher(String.valueOf(dns));
        assertTrue(m.matches(), id(gateway) + " MAAS_FLEET_WORKERS_DNS is an SRV name of a Service: " + dns);
        String portName = m.group(1);
        Map<String, Object> headless = objects.stream()
                .filter(o -> "Service".equals(kind(o)) && m.group(2).equals(name(o))).findFirst().orElse(null);
        assertTrue(headless != null, id(gateway) + " MAAS_FLEET_WORKERS_DNS names Service " + m.group(2)
                + ", which does not exist");
        assertEquals(Resources.namespace(gateway), m.group(3), "the SRV name's namespace is the gateway's");
        Map<String, Object> svcSpec = map(headless.get("spec"));
        assertEquals("None", svcSpec.get("clusterIP"), id(headless) + " is headless (one record per pod)");
        assertEquals(m.group(2), map(worker.get("spec")).get("serviceName"), id(worker) + " serviceName gives pods DNS names");
        assertEquals(false, svcSpec.getOrDefault("publishNotReadyAddresses", false), "only ready workers are listed");
        Map<String, Object> selector = Map.of("matchLabels", svcSpec.get("selector"));
        assertTrue(selects(selector, podLabels(worker)), id(headless) + " selects the worker pods");
        for (Map<String, Object> other : workloads(objects)) {
            assertTrue(other == worker || !selects(selector, podLabels(other)), id(headless) + " also selects " + id(other));
        }
        Map<String, Object> svcPort = list(svcSpec.get("ports")).stream().map(Kustomize::map)
                .filter(p -> portName.equals(p.get("name"))).findFirst().orElse(null);
        assertTrue(svcPort != null, id(headless) + " has no port named " + portName + " (the SRV record's service)");
        Integer internalPort = containerPorts(worker).get(String.valueOf(svcPort.get("targetPort")));
        assertTrue(internalPort != null, id(headless) + " targets port " + svcPort.get("targetPort") + " that "
                + id(worker) + " does not declare");
        assertEquals(internalPort, svcPort.get("port"), "the SRV record's port (the Service port) is the worker's port");

        // One shared secret, from the same Secret key on both sides.
        Object gwToken = map(envEntry(gw, "MAAS_FLEET_INTERNAL_TOKEN").get("valueFrom")).get("secretKeyRef");
        Object wkToken = map(envEntry(wk, "MAAS_FLEET_INTERNAL_TOKEN").get("valueFrom")).get("secretKeyRef");
        assertTrue(gwToken != null && wkToken != null, "gateway and worker read MAAS_FLEET_INTERNAL_TOKEN from a Secret");
        assertEquals(map(gwToken).get("name"), map(wkToken).get("name"));
        assertEquals(map(gwToken).get("key"), map(wkToken).get("key"));
        assertFalse(Boolean.TRUE.equals(map(gwToken).get("optional")), "the fleet secret is not optional");
        // Rotation without 401s: workers also accept the same Secret's optional "previous"; gateways send "token" only.
        Object wkPrevious = map(envEntry(wk, "MAAS_FLEET_INTERNAL_TOKEN_PREVIOUS").get("valueFrom")).get("secretKeyRef");
        assertTrue(wkPrevious != null, "workers read MAAS_FLEET_INTERNAL_TOKEN_PREVIOUS from a Secret");
        assertEquals(map(wkToken).get("name"), map(wkPrevious).get("name"));
        assertEquals(Boolean.TRUE, map(wkPrevious).get("optional"), "the previous value is absent between rotations");
        assertTrue(envEntry(gw, "MAAS_FLEET_INTERNAL_TOKEN_PREVIOUS").isEmpty(), "gateways send the current token only");
        String secretName = (String) map(gwToken).get("name");
        String secretKey = (String) map(gwToken).get("key");
        Map<String, Object> rendered = objects.stream().filter(o -> "Secret".equals(kind(o)) && secretName.equals(name(o)))
                .findFirst().orElse(null);
        if (rendered != null) {
            assertTrue(map(rendered.get("data")).containsKey(secretKey) || map(rendered.get("stringData")).containsKey(secretKey),
                    id(rendered) + " has key " + secretKey);
        } else {
            assertTrue(String.valueOf(map(external().get("secrets")).get(secretName)).contains("\"" + secretKey + "\""),
                    "k8s/external.yaml declares Secret " + secretName + " with key \"" + secretKey + "\"");
        }

        // Workers take gateways' calls on that port only.
        List<Object> gatewayPorts = new ArrayList<>();
        for (Map<String, Object> np : objects.stream().filter(o -> "NetworkPolicy".equals(kind(o))).toList()) {
            Map<String, Object> spec = map(np.get("spec"));
            if (map(map(spec.get("podSelector")).get("matchLabels")).isEmpty()
                    || !selects(map(spec.get("podSelector")), podLabels(worker))) {
                continue;
            }
            for (Object rule : list(spec.get("ingress"))) {
                boolean fromGateways = list(map(rule).get("from")).stream().map(Kustomize::map)
                        .anyMatch(peer -> peer.containsKey("podSelector")
                                && selects(map(peer.get("podSelector")), podLabels(gateway)));
                if (fromGateways) {
                    List<Object> ports = list(map(rule).get("ports"));
                    assertFalse(ports.isEmpty(), id(np) + " admits gateways on every port");
                    ports.forEach(p -> gatewayPorts.add(map(p).get("port")));
                }
            }
        }
        assertFalse(gatewayPorts.isEmpty(), "no NetworkPolicy lets gateways reach workers");
        for (Object p : gatewayPorts) {
            assertEquals(internalPort, containerPorts(worker).get(String.valueOf(p)),
                    "gateways may reach workers on the internal port only, not " + p);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "dev", "prod" })
    void workersMountModelsAndCatalogReadOnlyAndBillingConsumersScaleOut(String overlay) {
        List<Map<String, Object>> objects = render(overlay);
        Map<String, Object> worker = workloadOfRole(objects, "worker");
        Map<String, Map<String, Object>> volumes = new java.util.HashMap<>();
        list(podSpec(worker).get("volumes")).forEach(v -> volumes.put((String) map(v).get("name"), map(v)));
        Set<String> claims = new TreeSet<>();
        for (Object mount : list(containers(worker).get(0).get("volumeMounts"))) {
            Map<String, Object> volume = volumes.get(map(mount).get("name"));
            assertTrue(volume != null, id(worker) + " mounts an undeclared volume " + map(mount).get("name"));
            Map<String, Object> pvc = map(volume.get("persistentVolumeClaim"));
            if (!pvc.isEmpty()) {
                claims.add((String) pvc.get("claimName"));
                assertEquals(true, map(mount).get("readOnly"), id(worker) + " mounts " + pvc.get("claimName") + " read-only");
                assertEquals(true, pvc.get("readOnly"), id(worker) + " claims " + pvc.get("claimName") + " read-only");
            }
        }
        assertEquals(Set.of("maas-models", "maas-catalog"), claims, id(worker) + " serves models and catalog adapters");

        Map<String, Object> billing = workloadOfRole(objects, "billing");
        assertTrue((Integer) map(billing.get("spec")).get("replicas") >= 2,
                id(billing) + ": two or more consumers split the usage topic's partitions");
        Map<String, Object> gateway = workloadOfRole(objects, "gateway");
        Map<String, Object> gwEnv = new java.util.HashMap<>(env(containers(gateway).get(0)));
        assertTrue(gwEnv.containsKey("MAAS_FLEET_WORKERS_DNS") || gwEnv.containsKey("MAAS_FLEET_WORKERS"),
                id(gateway) + " (role gateway generates nothing itself) lists its workers");
    }

    @Test
    void theDevRealmImportIsTheRealmTheTestsUse() throws IOException {
        Map<String, Object> imported = render("dev").stream().filter(o -> "KeycloakRealmImport".equals(kind(o)))
                .findFirst().orElseThrow();
        Object fromYaml = map(imported.get("spec")).get("realm");
        Object fromJson = new ObjectMapper().readValue(K8S.resolve("keycloak").resolve("realm.json").toFile(), Map.class);
        assertEquals(new ObjectMapper().valueToTree(fromJson), new ObjectMapper().valueToTree(fromYaml),
                "k8s/overlays/dev/keycloak-realm-import.yaml is stale: regenerate it from k8s/keycloak/realm.json");
        String keycloak = (String) map(imported.get("spec")).get("keycloakCRName");
        assertTrue(names(render("dev"), "Keycloak").contains(keycloak));
        assertTrue(render("prod").stream().noneMatch(o -> "KeycloakRealmImport".equals(kind(o))),
                "the test realm (known passwords) is never imported in prod");
    }

    @ParameterizedTest
    @ValueSource(strings = { "dev", "prod" })
    void namesAreUniqueAndEverythingIsInTheNamespace(String overlay) {
        List<Map<String, Object>> objects = render(overlay);
        Set<String> seen = new HashSet<>();
        for (Map<String, Object> o : objects) {
            assertTrue(seen.add(id(o)), "duplicate " + id(o));
            if (!"Namespace".equals(kind(o))) {
                assertEquals("maas", Resources.namespace(o), id(o) + " namespace");
            }
        }
        assertTrue(names(objects, "Namespace").contains("maas"));
    }

    @Test
    void theRendererAppliesPatchesImagesAndDeletes() {
        List<Map<String, Object>> dev = render("dev");
        List<Map<String, Object>> prod = render("prod");
        Map<String, Object> devGateway = find(dev, "Deployment", "maas-gateway");
        Map<String, Object> prodGateway = find(prod, "Deployment", "maas-gateway");
        assertEquals(1, map(devGateway.get("spec")).get("replicas"));
        assertEquals(3, map(prodGateway.get("spec")).get("replicas"));
        assertEquals("maas/app:dev", containers(devGateway).get(0).get("image"));
        assertEquals("registry.example.com/maas/app:0.1.0", containers(prodGateway).get(0).get("image"));
        assertTrue(names(dev, "ScheduledBackup").isEmpty() && names(prod, "ScheduledBackup").contains("maas-db-daily"));
        assertEquals("maas", podLabels(devGateway).get("app.kubernetes.io/part-of"), "labels reach pod templates");
    }

    @Test
    void theRendererRefusesWhatItDoesNotImplementAndPatchesThatMiss(@org.junit.jupiter.api.io.TempDir Path dir)
            throws IOException {
        Files.writeString(dir.resolve("kustomization.yaml"), "resources: [cm.yaml]\nconfigMapGenerator: []\n");
        Files.writeString(dir.resolve("cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Kustomize.build(dir));
        Files.writeString(dir.resolve("kustomization.yaml"), "resources: [cm.yaml]\npatches:\n"
                + "  - target: {kind: ConfigMap, name: b}\n    patch: '[{op: replace, path: /data, value: {}}]'\n");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Kustomize.build(dir));
    }

    private static Map<String, Object> find(List<Map<String, Object>> objects, String kind, String name) {
        return objects.stream().filter(o -> kind.equals(kind(o)) && name.equals(name(o))).findFirst().orElseThrow();
    }

    /** A selector picks one of our pod templates, or pods an operator makes for a custom resource that exists. */
    private static boolean selectsSomething(List<Map<String, Object>> objects, Map<String, Object> selector) {
        Map<String, Object> labels = map(selector.get("matchLabels"));
        if (labels.isEmpty()) {
            return true; // every pod in the namespace
        }
        if (workloads(objects).stream().anyMatch(w -> selects(selector, podLabels(w)))) {
            return true;
        }
        if (labels.containsKey("cnpg.io/cluster")) {
            return names(objects, "Cluster").contains(labels.get("cnpg.io/cluster"));
        }
        if (labels.containsKey("strimzi.io/cluster")) {
            return names(objects, "Kafka").contains(labels.get("strimzi.io/cluster"));
        }
        if ("keycloak".equals(labels.get("app"))) {
            return !names(objects, "Keycloak").isEmpty();
        }
        return false;
    }

    private static Set<String> portNames(Map<String, Object> workload) {
        Set<String> names = new HashSet<>();
        for (Map<String, Object> c : containers(workload)) {
            for (Object p : list(c.get("ports"))) {
                if (map(p).get("name") != null) {
                    names.add((String) map(p).get("name"));
                }
            }
        }
        return names;
    }

    private static Map<String, String> env(Map<String, Object> container) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (Object e : list(container.get("env"))) {
            Object value = map(e).get("value");
            out.put((String) map(e).get("name"), value == null ? null : value.toString());
        }
        return out;
    }

    private static void check(Object name, Set<String> known, String where, List<String> missing) {
        if (name != null && !known.contains(name)) {
            missing.add(where + " -> " + name);
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new HashSet<>(a);
        u.addAll(b);
        return u;
    }

    private static void collectKeys(String prefix, Class<?> group, Set<String> keys) {
        for (Method method : group.getMethods()) {
            if (method.isSynthetic() || method.isDefault() || method.getParameterCount() > 0) {
                continue;
            }
            String key = prefix + "." + method.getName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
            Class<?> type = method.getReturnType();
            if (type.isInterface() && type.getEnclosingClass() == MaasConfig.class) {
                collectKeys(key, type, keys);
            } else {
                keys.add(key);
            }
        }
    }
}
