package dev.siglipstream.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import dev.siglipstream.bench.EndToEndBench;
import dev.siglipstream.cli.Main;
import dev.siglipstream.siglip.archfixture.LibraryClassUsingFlink;
import dev.siglipstream.siglip.onnx.SiglipModel;
import dev.siglipstream.stream.batching.MicroBatcher;
import dev.siglipstream.stream.job.SiglipStreamJob;
import dev.siglipstream.testutils.TestData;
import dev.siglipstream.tools.synth.SynthModel;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/**
 * The modules' layering, checked on each module's production classes (its target/classes or JAR, never its
 * tests): the SigLIP library imports no Flink, Kafka or Avro and has no package cycle; the Flink operator
 * pieces no Kafka or Avro; no production code uses the test utilities; only the CLI uses the bench.
 */
class ArchitectureTest {
    private static final String[] OTHER_MODULES = {"dev.siglipstream.stream..", "dev.siglipstream.events..",
        "dev.siglipstream.cli..", "dev.siglipstream.bench..", "dev.siglipstream.tools..", "dev.siglipstream.testutils.."};
    private static final String[] KAFKA_AVRO = {"org.apache.kafka..", "kafka..", "org.apache.avro..",
        "org.apache.flink.connector.kafka..", "org.apache.flink.formats.avro..", "dev.siglipstream.events.."};

    static final ArchRule CORE = noClasses()
            .should().dependOnClassesThat().resideInAnyPackage(concat(KAFKA_AVRO, OTHER_MODULES))
            .orShould().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "picocli..", "com.google.protobuf..")
            .as("siglip-core (the SigLIP library) uses no Flink, Kafka, Avro, picocli, protobuf or other module");
    static final ArchRule CORE_ACYCLIC = slices().matching("dev.siglipstream.siglip.(*)..").should().beFreeOfCycles()
            .as("siglip-core's packages have no cycle");
    static final ArchRule FLINK = noClasses()
            .should().dependOnClassesThat().resideInAnyPackage(KAFKA_AVRO)
            .orShould().dependOnClassesThat().resideInAnyPackage("dev.siglipstream.stream.job..", "dev.siglipstream.stream.kafka..",
                    "dev.siglipstream.stream.serde..", "dev.siglipstream.stream.registry..", "dev.siglipstream.cli..",
                    "dev.siglipstream.bench..", "dev.siglipstream.tools..", "dev.siglipstream.testutils..", "picocli..")
            .as("siglip-flink (the operator pieces) uses no Kafka, Avro, generated events, job, CLI, bench or test code");
    static final ArchRule JOB = noClasses()
            .should().dependOnClassesThat().resideInAnyPackage("dev.siglipstream.cli..", "dev.siglipstream.bench..",
                    "dev.siglipstream.tools..", "dev.siglipstream.testutils..", "com.google.protobuf..")
            .as("siglip-job uses no CLI, bench, synth-model or test code");
    static final ArchRule SYNTH = noClasses()
            .should().dependOnClassesThat().resideInAnyPackage(KAFKA_AVRO)
            .orShould().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "dev.siglipstream.stream..",
                    "dev.siglipstream.cli..", "dev.siglipstream.bench..", "dev.siglipstream.testutils..")
            .as("siglip-synth uses no Flink, Kafka, Avro or other module");
    static final ArchRule NO_TEST_CODE = noClasses()
            .should().dependOnClassesThat().resideInAnyPackage("dev.siglipstream.testutils..", "org.junit..", "org.assertj..")
            .as("production code uses no test utilities");
    static final ArchRule BENCH_ONLY_FROM_CLI = noClasses()
            .should().dependOnClassesThat().resideInAnyPackage("dev.siglipstream.bench..", "dev.siglipstream.cli..")
            .as("only the CLI uses the bench");

    @Test
    void theLibraryUsesNoFlinkKafkaOrAvroAndHasNoPackageCycle() {
        JavaClasses core = module(SiglipModel.class);
        CORE.check(core);
        CORE_ACYCLIC.check(core);
        BENCH_ONLY_FROM_CLI.check(core);
    }

    @Test
    void theOperatorPiecesUseNoKafkaOrAvro() {
        JavaClasses flink = module(MicroBatcher.class);
        FLINK.check(flink);
        BENCH_ONLY_FROM_CLI.check(flink);
    }

    @Test
    void theJobAndTheToolsStayInTheirLayer() {
        JOB.check(module(SiglipStreamJob.class));
        BENCH_ONLY_FROM_CLI.check(module(SiglipStreamJob.class));
        SYNTH.check(module(SynthModel.class));
        BENCH_ONLY_FROM_CLI.check(module(SynthModel.class));
    }

    @Test
    void noProductionCodeUsesTheTestUtilities() {
        for (Class<?> anchor : new Class<?>[] {SiglipModel.class, MicroBatcher.class, SiglipStreamJob.class, SynthModel.class,
            EndToEndBench.class, Main.class}) {
            NO_TEST_CODE.check(module(anchor));
        }
    }

    @Test
    void theRulesFailOnAForbiddenImport() {
        // a class with org.apache.flink imports, as if someone had added it to the library
        JavaClasses libraryWithFlink = new ClassFileImporter().importClasses(LibraryClassUsingFlink.class);
        assertThatThrownBy(() -> CORE.check(libraryWithFlink)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("siglip-core (the SigLIP library) uses no Flink")
                .hasMessageContaining("org.apache.flink.configuration.Configuration");
        JavaClasses operatorWithKafka = new ClassFileImporter().importClasses(OperatorPieceUsingKafka.class);
        assertThatThrownBy(() -> FLINK.check(operatorWithKafka)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("org.apache.kafka.clients.producer.ProducerRecord");
        JavaClasses productionUsingTestData = new ClassFileImporter().importClasses(ProductionClassUsingTestData.class);
        assertThatThrownBy(() -> NO_TEST_CODE.check(productionUsingTestData)).isInstanceOf(AssertionError.class)
                .hasMessageContaining(TestData.class.getName());
    }

    private static final java.util.Map<Class<?>, JavaClasses> MODULES = new java.util.concurrent.ConcurrentHashMap<>();

    /** A module's production classes: the folder or JAR the anchor class was loaded from (imported once). */
    private static JavaClasses module(Class<?> anchor) {
        return MODULES.computeIfAbsent(anchor, ArchitectureTest::importModule);
    }

    private static JavaClasses importModule(Class<?> anchor) {
        try {
            Path location = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            assertThat(location.toString()).as("production classes of " + anchor.getName()).doesNotContain("test-classes");
            JavaClasses classes;
            if (Files.isDirectory(location)) {
                classes = new ClassFileImporter().importPath(location);
            } else {
                try (JarFile jar = new JarFile(location.toFile())) {
                    classes = new ClassFileImporter().importJar(jar);
                }
            }
            assertThat(classes.contain(anchor)).as(location + " holds " + anchor.getName()).isTrue();
            return classes;
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Fixture: an operator piece that uses a Kafka type. */
    static final class OperatorPieceUsingKafka {
        ProducerRecord<byte[], byte[]> record() {
            return new ProducerRecord<>("topic", new byte[0]);
        }
    }

    /** Fixture: production code that uses a test utility. */
    static final class ProductionClassUsingTestData {
        Path schemas() {
            return TestData.path("schemas");
        }
    }
}
