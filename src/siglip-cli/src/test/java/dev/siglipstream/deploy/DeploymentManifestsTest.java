package dev.siglipstream.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.siglipstream.cli.Main;
import dev.siglipstream.stream.labels.LabelSet;
import dev.siglipstream.stream.labels.LabelSetFile;
import dev.siglipstream.stream.options.JobArguments;
import dev.siglipstream.stream.options.JobOptions;
import dev.siglipstream.testutils.ImageLayout;
import dev.siglipstream.testutils.TestData;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.TimeUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import picocli.CommandLine;

/**
 * Validates deploy/ without Docker or a cluster: every YAML parses, the FlinkDeployment has the GPU,
 * checkpoint and metrics settings and agrees with its pod templates, the label-set ConfigMap and the
 * job's flags; compose, the Dockerfile and the GPU check script hang together.
 */
class DeploymentManifestsTest {
    private static final Path DEPLOY = TestData.path("deploy");
    /** Where the build writes the job JAR and the lib/ jars, from the repository root (the Docker build context). */
    private static final String JOB_TARGET = "src/siglip-job/target/";
    private static final String JOB_JAR = "/opt/flink/usrlib/siglip-stream-job.jar";
    private static final String ENTRY_CLASS = "dev.siglipstream.stream.job.SiglipStreamJob";
    private static final String LABEL_SETS_FILE = "/opt/siglip/label-sets/label-sets.yaml";

    /** The job's flags as the issue specifies them. */
    private static final Set<String> SPECIFIED_FLAGS = Set.of("--bootstrap", "--input-topic", "--output-topic",
            "--dead-letter-topic", "--label-set-topic", "--label-sets", "--model", "--parallelism",
            "--checkpoint-interval", "--max-batch-size", "--max-batch-delay", "--provider");

    private static Map<String, Object> deployment;
    private static Map<String, String> flinkConf;
    private static Map<String, Object> configMap;
    private static Map<String, Object> compose;

    @BeforeAll
    static void load() throws IOException {
        deployment = only(DEPLOY.resolve("k8s/flinkdeployment.yaml"));
        flinkConf = stringMap(at(deployment, "spec", "flinkConfiguration"));
        configMap = only(DEPLOY.resolve("k8s/label-sets-configmap.yaml"));
        compose = only(DEPLOY.resolve("compose.yaml"));
    }

    // ---------------------------------------------------------------- every YAML

    @Test
    void everyYamlFileInDeployParses() throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(DEPLOY)) {
            files = walk.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        }
        assertThat(files).extracting(p -> DEPLOY.relativize(p).toString().replace('\\', '/'))
                .contains("compose.yaml", "label-sets.yaml", "k8s/flinkdeployment.yaml", "k8s/label-sets-configmap.yaml");
        for (Path file : files) {
            List<Object> docs = loadAll(file);
            assertThat(docs).as(file.toString()).isNotEmpty().allSatisfy(d -> assertThat(d).isInstanceOf(Map.class));
        }
        // every Kubernetes object names its API and kind
        try (Stream<Path> walk = Files.walk(DEPLOY.resolve("k8s"))) {
            for (Path file : walk.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                for (Object doc : loadAll(file)) {
                    assertThat(map(doc)).as(file.toString()).containsKeys("apiVersion", "kind", "metadata");
                }
            }
        }
    }

    // ---------------------------------------------------------------- FlinkDeployment

    @Test
    void flinkDeploymentIsForTheOperatorAndFlink22() {
        assertThat(deployment).containsEntry("apiVersion", "flink.apache.org/v1beta1").containsEntry("kind", "FlinkDeployment");
        assertThat(at(deployment, "spec", "flinkVersion")).isEqualTo("v2_2");
        assertThat((String) at(deployment, "spec", "image")).endsWith("siglip-stream:0.1.0");
    }

    @Test
    void gpusComeFromTheExternalResourceFramework() {
        assertThat(flinkConf)
                .containsEntry("external-resources", "gpu")
                .containsEntry("external-resource.gpu.driver-factory.class",
                        "org.apache.flink.externalresource.gpu.GPUDriverFactory")
                .containsEntry("external-resource.gpu.kubernetes.config-key", "nvidia.com/gpu")
                .containsEntry("external-resource.gpu.param.discovery-script.path",
                        "/opt/flink/plugins/external-resource-gpu/nvidia-gpu-discovery.sh");
        assertThat(Integer.parseInt(flinkConf.get("external-resource.gpu.amount"))).isPositive();
        assertThat(Integer.parseInt(flinkConf.get("taskmanager.numberOfTaskSlots"))).isPositive();
    }

    @Test
    void taskManagerPodTemplateAsksForTheSameGpusOnGpuNodes() {
        Map<String, Object> tmSpec = map(at(deployment, "spec", "taskManager", "podTemplate", "spec"));
        Map<String, Object> container = mainContainer(tmSpec);
        Object gpus = at(container, "resources", "limits", "nvidia.com/gpu");
        assertThat(String.valueOf(gpus)).isEqualTo(flinkConf.get("external-resource.gpu.amount"));
        assertThat(map(tmSpec.get("nodeSelector"))).isNotEmpty();
        assertThat(list(tmSpec.get("tolerations"))).anySatisfy(t -> assertThat(map(t)).containsEntry("key", "nvidia.com/gpu"));
        // the job manager needs no GPU: the limit is only in the task manager's template
        Map<String, Object> shared = mainContainer(map(at(deployment, "spec", "podTemplate", "spec")));
        assertThat(shared.get("resources")).isNull();
    }

    @Test
    void checkpointsMetricsAndClassLoadingAreConfigured() {
        assertThat(flinkConf.get("execution.checkpointing.dir")).matches("(s3|s3a|hdfs|file)://.+");
        assertThat(flinkConf.get("execution.checkpointing.savepoint-dir")).matches("(s3|s3a|hdfs|file)://.+");
        assertThat(flinkConf).containsEntry("execution.checkpointing.mode", "EXACTLY_ONCE");
        assertThat(TimeUtils.parseDuration(flinkConf.get("execution.checkpointing.interval"))).isPositive();
        assertThat(flinkConf).containsEntry("metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        String promPort = flinkConf.get("metrics.reporter.prom.port");
        List<Object> ports = list(mainContainer(map(at(deployment, "spec", "podTemplate", "spec"))).get("ports"));
        assertThat(ports).anySatisfy(p -> assertThat(String.valueOf(map(p).get("containerPort"))).isEqualTo(promPort));
        assertThat(parentFirst(flinkConf.get("classloader.parent-first-patterns.additional")))
                .containsExactlyInAnyOrderElementsOf(ImageLayout.PARENT_FIRST);
    }

    @Test
    void jobSpecPointsAtTheImagesJarAndTheJobsMainClass() throws IOException {
        Map<String, Object> job = map(at(deployment, "spec", "job"));
        assertThat(job).containsEntry("jarURI", "local://" + JOB_JAR).containsEntry("entryClass", ENTRY_CLASS);
        assertThat(dockerfileText()).containsPattern("COPY\\s.*\\$\\{JOB_JAR}\\s+" + Pattern.quote(JOB_JAR));
        Class<?> entry = optionalClass(ENTRY_CLASS);
        if (entry != null) {
            assertThat(Arrays.stream(entry.getMethods()).map(java.lang.reflect.Method::getName)).contains("main");
        }
    }

    @Test
    void jobArgumentsAreKnownFlagsAndAgreeWithTheDeployment() {
        Map<String, Object> job = map(at(deployment, "spec", "job"));
        List<String> args = list(job.get("args")).stream().map(String::valueOf).toList();
        Map<String, String> flags = flags(args);
        assertThat(flags.keySet().stream().map(f -> f.startsWith("-D:") ? "-D" : f)).isSubsetOf(knownFlags());
        assertThat(flags).containsKeys("--bootstrap", "--input-topic", "--output-topic", "--dead-letter-topic",
                "--label-set-topic", "--label-sets", "--model", "--provider", "--max-batch-size", "--max-batch-delay");
        assertThat(flags.get("--provider")).isEqualTo("cuda");
        assertThat(flags.get("--parallelism")).isEqualTo(String.valueOf(job.get("parallelism")));
        assertThat(TimeUtils.parseDuration(flags.get("--checkpoint-interval")))
                .isEqualTo(TimeUtils.parseDuration(flinkConf.get("execution.checkpointing.interval")));
        assertThat(Integer.parseInt(flags.get("--max-batch-size"))).isPositive();
        assertThat(TimeUtils.parseDuration(flags.get("--max-batch-delay"))).isBetween(Duration.ZERO, Duration.ofSeconds(1));
        // parallelism fills whole task managers: every GPU gets the same number of subtasks
        int slots = Integer.parseInt(flinkConf.get("taskmanager.numberOfTaskSlots"));
        assertThat(Integer.parseInt(flags.get("--parallelism")) % slots).isZero();
    }

    @Test
    void theJobKeepsTheFlagsTheIssueSpecifies() {
        assertThat(knownFlags()).containsAll(SPECIFIED_FLAGS);
    }

    @Test
    void theJobParsesTheDeploymentsArgumentsIntoMatchingOptions() {
        Map<String, Object> job = map(at(deployment, "spec", "job"));
        Configuration conf = jobConfiguration(list(job.get("args")).stream().map(String::valueOf).toList());
        assertThat(conf.get(JobOptions.PROVIDER)).isEqualTo("cuda");
        assertThat(conf.get(JobOptions.LABEL_SETS_FILE)).isEqualTo(LABEL_SETS_FILE);
        assertThat(conf.get(JobOptions.PARALLELISM)).isEqualTo(((Number) job.get("parallelism")).intValue());
        assertThat(conf.get(JobOptions.CHECKPOINT_INTERVAL))
                .isEqualTo(TimeUtils.parseDuration(flinkConf.get("execution.checkpointing.interval")));
        assertThat(conf.get(JobOptions.MAX_BATCH_SIZE)).isEqualTo(32);
        assertThat(conf.get(JobOptions.MAX_BATCH_DELAY)).isEqualTo(Duration.ofMillis(10));
        assertThat(conf.get(JobOptions.BOOTSTRAP_SERVERS)).isNotBlank();
        assertThat(conf.get(JobOptions.OUTPUT_TOPIC)).isEqualTo("image-labels");
        assertThat(conf.get(JobOptions.BATCH_BUCKETING)).isTrue();
        // on GPU nodes a CUDA that cannot load must fail the job, not quietly run it on CPU
        assertThat(conf.get(JobOptions.ALLOW_CPU_FALLBACK)).isFalse();
    }

    @Test
    void composeSubmitArgumentsParseToo() {
        List<String> command = list(at(compose, "services", "submit", "command")).stream().map(String::valueOf).toList();
        Configuration conf = jobConfiguration(command.subList(command.indexOf(JOB_JAR) + 1, command.size()));
        assertThat(conf.get(JobOptions.PROVIDER)).isEqualTo("cpu");
        assertThat(conf.get(JobOptions.LABEL_SETS_FILE)).isEqualTo(LABEL_SETS_FILE);
        assertThat(conf.get(JobOptions.CHECKPOINT_INTERVAL)).isPositive();
        // A negative nice value needs the task manager's nice ulimit: 20 - limit is the lowest allowed.
        Integer nice = conf.get(JobOptions.INFERENCE_NICE);
        Integer poolNice = conf.get(JobOptions.PREPROCESS_NICE);
        assertThat(nice).isNotNull().isLessThan(poolNice);
        Object limit = at(compose, "services", "taskmanager", "ulimits", "nice");
        assertThat(20 - ((Number) limit).intValue()).isLessThanOrEqualTo(nice);
    }

    @Test
    void eachDeploymentNamesItsOwnConsumerGroupAndTransactionalIds() {
        List<String> k8sArgs = list(at(deployment, "spec", "job", "args")).stream().map(String::valueOf).toList();
        List<String> command = list(at(compose, "services", "submit", "command")).stream().map(String::valueOf).toList();
        Configuration k8s = jobConfiguration(k8sArgs);
        Configuration local = jobConfiguration(command.subList(command.indexOf(JOB_JAR) + 1, command.size()));
        for (Configuration conf : List.of(k8s, local)) {
            // set explicitly (not left to the derived default), and not the value every job once shared
            assertThat(conf.getOptional(JobOptions.GROUP_ID)).get().asString().isNotBlank().isNotEqualTo("siglip-stream");
            assertThat(conf.getOptional(JobOptions.TRANSACTIONAL_ID_PREFIX)).get().asString().isNotBlank()
                    .isNotEqualTo("siglip-stream");
        }
        assertThat(k8s.get(JobOptions.GROUP_ID)).isNotEqualTo(local.get(JobOptions.GROUP_ID));
        assertThat(k8s.get(JobOptions.TRANSACTIONAL_ID_PREFIX)).isNotEqualTo(local.get(JobOptions.TRANSACTIONAL_ID_PREFIX));
    }

    @Test
    void theOperatorsLogConfigurationCarriesTheImagesLogFilters() throws IOException {
        // the operator replaces the image's log4j-console.properties with this one
        String console = (String) at(deployment, "spec", "logConfiguration", "log4j-console.properties");
        assertThat(console).contains("rootLogger.appenderRef.console.ref", "appender.rolling.fileName = ${sys:log.file}");
        List<String> filters = Files.readAllLines(DEPLOY.resolve("log4j-siglip.properties")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        assertThat(filters).isNotEmpty();
        assertThat(console.lines().toList()).containsAll(filters);
        assertThat(dockerfileText()).contains("deploy/log4j-siglip.properties", "/opt/flink/conf/log4j-console.properties");
    }

    @Test
    void labelSetsFlagPointsIntoTheMountedConfigMap() {
        Map<String, String> flags = flags(list(at(deployment, "spec", "job", "args")).stream().map(String::valueOf).toList());
        assertThat(flags.get("--label-sets")).isEqualTo(LABEL_SETS_FILE);
        Map<String, Object> podSpec = map(at(deployment, "spec", "podTemplate", "spec"));
        String configMapName = (String) at(configMap, "metadata", "name");

        Map<String, Object> volume = list(podSpec.get("volumes")).stream().map(DeploymentManifestsTest::map)
                .filter(v -> v.containsKey("configMap") && configMapName.equals(at(v, "configMap", "name")))
                .findFirst().orElseThrow(() -> new AssertionError("no volume from ConfigMap " + configMapName));
        Map<String, Object> mount = list(mainContainer(podSpec).get("volumeMounts")).stream().map(DeploymentManifestsTest::map)
                .filter(m -> volume.get("name").equals(m.get("name")))
                .findFirst().orElseThrow(() -> new AssertionError("ConfigMap volume " + volume.get("name") + " not mounted"));
        String fileName = LABEL_SETS_FILE.substring(((String) mount.get("mountPath")).length() + 1);
        assertThat(LABEL_SETS_FILE).startsWith(mount.get("mountPath") + "/");
        // the file under the mount is a key of the ConfigMap (through items when they are listed)
        Object items = at(volume, "configMap", "items");
        String key = items == null ? fileName : list(items).stream().map(DeploymentManifestsTest::map)
                .filter(i -> fileName.equals(i.get("path"))).map(i -> (String) i.get("key")).findFirst().orElse(null);
        assertThat(stringMap(configMap.get("data"))).containsKey(key);
    }

    // ---------------------------------------------------------------- label sets

    @Test
    void labelSetConfigMapHoldsValidLabelSetsIdenticalToTheComposeFile() throws IOException {
        assertThat(configMap).containsEntry("kind", "ConfigMap");
        String text = stringMap(configMap.get("data")).get("label-sets.yaml");
        assertThat(text).isEqualTo(Files.readString(DEPLOY.resolve("label-sets.yaml")));
        Map<String, Object> doc = map(new Yaml(new SafeConstructor(new LoaderOptions())).load(text));
        List<Object> sets = list(doc.get("label-sets"));
        assertThat(sets).isNotEmpty();
        Set<String> ids = new TreeSet<>();
        for (Object o : sets) {
            Map<String, Object> set = map(o);
            String id = (String) set.get("id");
            assertThat(id).as("label set id").isNotBlank();
            assertThat(ids.add(id)).as("unique id " + id).isTrue();
            assertThat(list(set.get("labels"))).as(id + " labels").isNotEmpty()
                    .allSatisfy(l -> assertThat(l).isInstanceOf(String.class));
            assertThat((String) set.get("template")).as(id + " template").contains("{}");
            assertThat(((Number) set.get("threshold")).doubleValue()).as(id + " threshold").isBetween(0.0, 1.0);
            assertThat(((Number) set.get("top-k")).intValue()).as(id + " top-k").isPositive();
            assertThat((String) set.get("output-topic")).as(id + " output-topic").isNotBlank();
        }
        // and the job's own parser reads the same sets
        List<LabelSet> parsed = LabelSetFile.parse(
                new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "label-sets-configmap.yaml");
        assertThat(parsed).extracting(LabelSet::id)
                .containsExactlyElementsOf(sets.stream().map(o -> (String) map(o).get("id")).toList());
        assertThat(parsed).allSatisfy(set -> {
            assertThat(set.labels()).isNotEmpty();
            assertThat(set.topK()).isPositive();
            assertThat(set.outputTopic()).isNotBlank();
        });
    }

    // ---------------------------------------------------------------- compose

    @Test
    void composeRunsKraftKafkaFlinkAndASubmitterOnCpuByDefault() throws IOException {
        Map<String, Object> services = map(compose.get("services"));
        assertThat(services).containsKeys("kafka", "jobmanager", "taskmanager", "submit");
        Map<String, Object> kafka = map(services.get("kafka"));
        assertThat(kafka).containsEntry("image", "apache/kafka:4.2.0");
        assertThat(String.valueOf(at(kafka, "environment", "KAFKA_PROCESS_ROLES"))).contains("broker", "controller");
        assertThat(map(services.get("jobmanager"))).containsEntry("command", "jobmanager");
        Map<String, Object> tm = map(services.get("taskmanager"));
        assertThat(tm).containsEntry("command", "taskmanager").doesNotContainKey("deploy");
        // the GPU reservation is there, commented out
        String text = Files.readString(DEPLOY.resolve("compose.yaml"));
        assertThat(text).contains("#     reservations:", "#         - driver: nvidia", "#           capabilities: [gpu]");
        for (String service : List.of("jobmanager", "taskmanager", "submit")) {
            Map<String, Object> s = map(services.get(service));
            assertThat(s.get("image")).as(service).isEqualTo("siglip-stream:0.1.0");
            assertThat(at(s, "build", "dockerfile")).as(service).isEqualTo("deploy/Dockerfile");
        }
    }

    @Test
    void composeSubmitCommandUsesKnownFlagsAndMountedFiles() {
        Map<String, Object> services = map(compose.get("services"));
        Map<String, Object> submit = map(services.get("submit"));
        List<String> command = list(submit.get("command")).stream().map(String::valueOf).toList();
        assertThat(command.subList(0, 2)).containsExactly("flink", "run");
        assertThat(command).contains("--class", ENTRY_CLASS);
        int jar = command.indexOf(JOB_JAR);
        assertThat(jar).as("job JAR in the submit command").isPositive();
        Map<String, String> flags = flags(command.subList(jar + 1, command.size()));
        assertThat(flags.keySet().stream().map(f -> f.startsWith("-D:") ? "-D" : f)).isSubsetOf(knownFlags());
        assertThat(flags.get("--provider")).isEqualTo("cpu");
        // --bootstrap is the broker's listener inside the compose network
        String advertised = String.valueOf(at(map(services.get("kafka")), "environment", "KAFKA_ADVERTISED_LISTENERS"));
        assertThat(advertised).contains("//" + flags.get("--bootstrap"));
        // the label-set file is bind-mounted where --label-sets points, in every Flink container
        assertThat(flags.get("--label-sets")).isEqualTo(LABEL_SETS_FILE);
        for (String service : List.of("jobmanager", "taskmanager", "submit")) {
            List<String> volumes = list(map(services.get(service)).get("volumes")).stream().map(String::valueOf).toList();
            assertThat(volumes).as(service).anySatisfy(v -> {
                String[] parts = v.split(":");
                assertThat(parts[1]).isEqualTo(LABEL_SETS_FILE);
                assertThat(DEPLOY.resolve(parts[0])).isRegularFile();
            });
        }
    }

    // ---------------------------------------------------------------- Dockerfile

    @Test
    void dockerfileIsFlink22Java17WithOnnxRuntimeGpuInLib() throws IOException {
        String text = dockerfileText();
        Map<String, String> argDefaults = new HashMap<>();
        Matcher arg = Pattern.compile("(?m)^ARG\\s+(\\w+)=(\\S+)").matcher(text);
        while (arg.find()) argDefaults.put(arg.group(1), arg.group(2));
        List<String> froms = new ArrayList<>();
        Matcher from = Pattern.compile("(?m)^FROM\\s+(\\S+)").matcher(text);
        while (from.find()) froms.add(substitute(from.group(1), argDefaults));
        assertThat(froms.get(froms.size() - 1)).as("final stage").matches("flink:2\\.2(\\.\\d+)?-(scala_2\\.12-)?java17");
        assertThat(froms).anySatisfy(f -> assertThat(f).matches("nvidia/cuda:12\\.\\d+(\\.\\d+)?-cudnn-runtime-.+"));

        // the same ONNX Runtime version as the build, the GPU artifact, into Flink's lib/
        assertThat(argDefaults.get("ORT_VERSION")).isEqualTo(pomProperty("onnxruntime.version"));
        assertThat(text).contains("repo1.maven.org/maven2/com/microsoft/onnxruntime/onnxruntime_gpu/")
                .containsPattern("COPY\\s.*onnxruntime_gpu-\\$\\{ORT_VERSION}\\.jar\\s+/opt/flink/lib/");
        Matcher parentFirst = Pattern.compile("classloader\\.parent-first-patterns\\.additional:\\s*([^'\\n]+)").matcher(text);
        assertThat(parentFirst.find()).as("parent-first patterns in the image's config.yaml").isTrue();
        assertThat(parentFirst(parentFirst.group(1))).containsExactlyInAnyOrderElementsOf(ImageLayout.PARENT_FIRST);
        // DJL, its tokenizers, JNA and Gson as the build resolved them, into lib/ too
        assertThat(text).containsPattern("COPY\\s.*" + Pattern.quote(ImageLayout.FLINK_LIB_IN_REPO + "/") + "\\s+/opt/flink/lib/");
        // the shaded JAR that `mvn package` writes
        assertThat(argDefaults.get("JOB_JAR")).isEqualTo(JOB_TARGET + pomValue("artifactId") + "-" + pomValue("version")
                + "-" + pomValue("shadedClassifierName") + ".jar");
    }

    @Test
    void theBuildWritesTheLibJarsTheImageAndTheClusterTestUse() throws IOException {
        List<String> jars;
        try (Stream<Path> files = Files.list(ImageLayout.FLINK_LIB)) {
            jars = files.map(f -> f.getFileName().toString()).sorted().toList();
        }
        assertThat(jars).hasSameSizeAs(ImageLayout.FLINK_LIB_ARTIFACTS);
        for (String artifact : ImageLayout.FLINK_LIB_ARTIFACTS) {
            assertThat(jars).anySatisfy(j -> assertThat(j).matches(Pattern.quote(artifact) + "-\\d.*\\.jar"));
        }
    }

    @Test
    void theJobJarsMainClassIsTheJob() throws IOException {
        Path jar;
        try (Stream<Path> files = Files.list(TestData.path(JOB_TARGET))) {
            jar = files.filter(f -> f.getFileName().toString().matches("siglip-stream-.*-job\\.jar")).findFirst().orElse(null);
        }
        // `flink run JAR` with no -c; the pom says so, and the JAR when the build wrote it before the tests
        assertThat(pomProperty("main.class")).isEqualTo(ENTRY_CLASS);
        if (jar != null) {
            try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar.toFile())) {
                assertThat(j.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo(ENTRY_CLASS);
            }
        }
    }

    @Test
    void dockerfileCopiesOnlyWhatTheDockerignoreLetsIn() throws IOException {
        List<String> ignore = Files.readAllLines(DEPLOY.resolve("Dockerfile.dockerignore")).stream()
                .filter(l -> l.startsWith("!")).map(l -> l.substring(1)).toList();
        Matcher copy = Pattern.compile("(?m)^COPY\\s+(?!--from)(?:--\\S+\\s+)*(\\S+)\\s+\\S+$").matcher(dockerfileText());
        List<String> sources = new ArrayList<>();
        while (copy.find()) sources.add(copy.group(1));
        assertThat(sources).contains("${JOB_JAR}", "deploy/gpu-check.sh");
        for (String source : sources) {
            String path = source.replace("${JOB_JAR}", JOB_TARGET + "siglip-stream-*-job.jar");
            assertThat(ignore).as("dockerignore lets in " + path).contains(path);
            if (!path.contains("*")) assertThat(TestData.path(path)).exists();
        }
    }

    // ---------------------------------------------------------------- GPU check script

    @Test
    void gpuCheckScriptIsSelfContainedAndUsesRegisteredCommands() throws Exception {
        Path script = DEPLOY.resolve("gpu-check.sh");
        String text = Files.readString(script);
        assertThat(text).startsWith("#!/usr/bin/env bash\n");
        assertThat(Files.isExecutable(script)).isTrue();
        assertThat(text).doesNotContain("mvn", "mvnw", "./siglip ");
        assertThat(text).contains("bench --model", "--provider \"$gpu\"", "gpu=${GPU_PROVIDER:-cuda}", "embed --model",
                "npy-diff --tolerance");
        Set<String> commands = new CommandLine(new Main()).getSubcommands().keySet();
        assertThat(commands).contains("bench", "embed", "npy-diff");
        Process bash = new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
        String out = new String(bash.getInputStream().readAllBytes());
        assertThat(bash.waitFor()).as("bash -n: " + out).isZero();
    }

    @Test
    void readmeSaysHowToApplyAndSizeSlots() throws IOException {
        String readme = Files.readString(DEPLOY.resolve("README.md"));
        assertThat(readme).contains("docker build -f deploy/Dockerfile", "kubectl apply", "taskmanager.numberOfTaskSlots",
                "external-resource.gpu.amount", "docker compose", "gpu-check.sh");
        // for each deployment mode: what goes in lib/ and which patterns are parent-first
        assertThat(readme).contains("## 6. Class loading", "classloader.parent-first-patterns.additional",
                String.join(";", ImageLayout.PARENT_FIRST), ImageLayout.FLINK_LIB_IN_REPO + "/", "PlainJarFlinkClusterITCase",
                "ImageLayoutFlinkClusterITCase");
    }

    // ---------------------------------------------------------------- helpers

    /**
     * The job's flags: those of {@code ./siglip run} (RunCommand) when it exists, else those of
     * {@link JobArguments}, which {@code SiglipStreamJob.main} parses.
     */
    static Set<String> knownFlags() {
        Class<?> run = optionalClass("dev.siglipstream.cli.RunCommand");
        // picocli's factory instantiates the package-private command class itself
        CommandLine cli = run == null ? new CommandLine(new JobArguments()) : new CommandLine(run);
        return cli.getCommandSpec().optionsMap().keySet().stream()
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** What {@code SiglipStreamJob.main} makes of {@code args}: the job's typed options. */
    static Configuration jobConfiguration(List<String> args) {
        JobArguments arguments = new JobArguments();
        new CommandLine(arguments).parseArgs(args.toArray(String[]::new));
        return arguments.toConfiguration();
    }

    /**
     * {@code --flag value} pairs; a flag followed by another flag (or nothing) is a boolean switch.
     * {@code -D key=value} settings are collected as {@code -D:key}.
     */
    static Map<String, String> flags(List<String> args) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("-D") && i + 1 < args.size()) {
                String[] kv = args.get(++i).split("=", 2);
                flags.put("-D:" + kv[0], kv.length > 1 ? kv[1] : "");
                continue;
            }
            assertThat(a).as("argument %d of %s", i, args).startsWith("--");
            int eq = a.indexOf('=');
            if (eq > 0) {
                flags.put(a.substring(0, eq), a.substring(eq + 1));
            } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
                flags.put(a, args.get(++i));
            } else {
                flags.put(a, "true");
            }
        }
        return flags;
    }

    private static List<String> parentFirst(String value) {
        return Arrays.stream(value.split("[;,]")).map(String::trim).toList();
    }

    private static String substitute(String image, Map<String, String> args) {
        Matcher m = Pattern.compile("\\$\\{(\\w+)}").matcher(image);
        StringBuilder out = new StringBuilder();
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(args.getOrDefault(m.group(1), "")));
        return m.appendTail(out).toString();
    }

    private static String dockerfileText() throws IOException {
        return Files.readString(DEPLOY.resolve("Dockerfile"));
    }

    private static String pom() {
        try {
            // the parent's versions, then the job module's shade settings and main class
            return Files.readString(TestData.path("pom.xml")) + Files.readString(TestData.module("siglip-job").resolve("pom.xml"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String pomProperty(String name) {
        return pomValue(name);
    }

    /** The first {@code <name>value</name>} in pom.xml (artifactId and version come before any dependency). */
    private static String pomValue(String name) {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">").matcher(pom());
        assertThat(m.find()).as("pom.xml <" + name + ">").isTrue();
        return m.group(1).trim();
    }

    private static Class<?> optionalClass(String name) {
        try {
            return Class.forName(name, false, DeploymentManifestsTest.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private static List<Object> loadAll(Path file) throws IOException {
        List<Object> docs = new ArrayList<>();
        for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(Files.readString(file))) {
            if (doc != null) docs.add(doc);
        }
        return docs;
    }

    private static Map<String, Object> only(Path file) throws IOException {
        List<Object> docs = loadAll(file);
        assertThat(docs).as(file.toString()).hasSize(1);
        return map(docs.get(0));
    }

    private static Map<String, Object> mainContainer(Map<String, Object> podSpec) {
        return list(podSpec.get("containers")).stream().map(DeploymentManifestsTest::map)
                .filter(c -> "flink-main-container".equals(c.get("name"))).findFirst()
                .orElseThrow(() -> new AssertionError("no flink-main-container in " + podSpec));
    }

    private static Object at(Object root, String... path) {
        Object node = root;
        for (String key : path) {
            if (!(node instanceof Map<?, ?> m)) return null;
            node = m.get(key);
        }
        return node;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        assertThat(o).isInstanceOf(Map.class);
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) {
        assertThat(o).isInstanceOf(List.class);
        return (List<Object>) o;
    }

    private static Map<String, String> stringMap(Object o) {
        Map<String, String> out = new LinkedHashMap<>();
        map(o).forEach((k, v) -> {
            assertThat(v).as("value of " + k + " must be a string (quote numbers in Kubernetes manifests)")
                    .isInstanceOf(String.class);
            out.put(k, (String) v);
        });
        return out;
    }
}
