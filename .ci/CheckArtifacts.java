import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Checks what a company adopting Tokenkeeper gets, from the built files rather than by eye: run by
 * .ci/check-artifacts as {@code java .ci/CheckArtifacts.java ROOT VERSION EFFECTIVE_POM}.
 *
 * <ul>
 *   <li>each published jar has a module-info.class of the expected name, Java 17 bytecode
 *       throughout, and META-INF/LICENSE equal to the repository's LICENSE;
 *   <li>a -sources jar (with module-info.java) and a -javadoc jar (without dev.tokenkeeper.internal)
 *       next to it;
 *   <li>the effective POM of every published artifact (the BOM too) carries name, description,
 *       url, licenses (Apache-2.0), developers, scm and issueManagement.
 * </ul>
 *
 * Prints every failure and exits 1 if there is any.
 */
public class CheckArtifacts {
  static final Map<String, String> MODULES = Map.of(
      "tokenkeeper-core", "dev.tokenkeeper.core",
      "tokenkeeper-testing", "dev.tokenkeeper.testing",
      "tokenkeeper-okhttp", "dev.tokenkeeper.okhttp",
      "tokenkeeper-httpclient5", "dev.tokenkeeper.httpclient5",
      "tokenkeeper-redis", "dev.tokenkeeper.redis",
      "tokenkeeper-spring", "dev.tokenkeeper.spring",
      "tokenkeeper-micrometer", "dev.tokenkeeper.micrometer",
      "tokenkeeper-spring-boot-starter", "dev.tokenkeeper.spring.boot");
  static final List<String> POMS = List.of("tokenkeeper-parent", "tokenkeeper-bom", "tokenkeeper-core",
      "tokenkeeper-testing", "tokenkeeper-okhttp", "tokenkeeper-httpclient5", "tokenkeeper-redis",
      "tokenkeeper-spring", "tokenkeeper-micrometer", "tokenkeeper-spring-boot-starter");
  static final String URL = "https://github.com/tokenkeeper/tokenkeeper";
  static final int JAVA_17 = 61;

  static final List<String> failures = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    String version = args[1];
    byte[] license = Files.readAllBytes(root.resolve("LICENSE"));

    for (String artifact : new java.util.TreeSet<>(MODULES.keySet())) {
      Path target = root.resolve(artifact).resolve("target");
      Path jar = target.resolve(artifact + "-" + version + ".jar");
      int before = failures.size();
      try (ZipFile zip = new ZipFile(jar.toFile())) {
        ZipEntry moduleInfo = zip.getEntry("module-info.class");
        if (moduleInfo == null) {
          fail(jar, "no module-info.class at the root");
        } else {
          String name = java.lang.module.ModuleDescriptor.read(zip.getInputStream(moduleInfo)).name();
          expect(MODULES.get(artifact).equals(name), jar, "module is named " + name);
        }
        int classes = 0;
        for (ZipEntry e : java.util.Collections.list(zip.entries())) {
          if (e.getName().endsWith(".class")) {
            classes++;
            int major = majorVersion(zip.getInputStream(e));
            expect(major == JAVA_17, jar, e.getName() + " is class file version " + major + ", not 61 (Java 17)");
          }
        }
        expect(classes > 1, jar, "has no classes");
        ZipEntry lic = zip.getEntry("META-INF/LICENSE");
        expect(lic != null && java.util.Arrays.equals(zip.getInputStream(lic).readAllBytes(), license),
            jar, "META-INF/LICENSE missing or not the repository's LICENSE");
        if (failures.size() == before) {
          System.out.printf("  %s: module %s, %d classes, Java 17, LICENSE%n", jar.getFileName(),
              MODULES.get(artifact), classes);
        }
      } catch (IOException e) {
        fail(jar, "cannot be read: " + e);
      }

      Path sources = target.resolve(artifact + "-" + version + "-sources.jar");
      try (ZipFile zip = new ZipFile(sources.toFile())) {
        expect(zip.getEntry("module-info.java") != null, sources, "no module-info.java");
        expect(zip.stream().anyMatch(e -> e.getName().endsWith(".java") && e.getName().startsWith("dev/")),
            sources, "no Java sources");
      } catch (IOException e) {
        fail(sources, "missing or unreadable: " + e);
      }

      Path javadoc = target.resolve(artifact + "-" + version + "-javadoc.jar");
      try (ZipFile zip = new ZipFile(javadoc.toFile())) {
        expect(zip.getEntry("index.html") != null, javadoc, "no index.html");
        expect(zip.stream().noneMatch(e -> e.getName().contains("dev/tokenkeeper/internal")
                || e.getName().contains("dev.tokenkeeper.internal")),
            javadoc, "documents dev.tokenkeeper.internal, which is not API");
      } catch (IOException e) {
        fail(javadoc, "missing or unreadable: " + e);
      }
    }

    Path effective = Path.of(args[2]);
    var factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(false);
    Element top = factory.newDocumentBuilder().parse(effective.toFile()).getDocumentElement();
    List<Element> projects = top.getTagName().equals("project") ? List.of(top) : children(top, "project");
    List<String> seen = new ArrayList<>();
    for (Element project : projects) {
      String artifact = text(project, "artifactId");
      if (!POMS.contains(artifact)) {
        continue;
      }
      seen.add(artifact);
      Path pom = Path.of(artifact + " (effective POM)");
      for (String field : List.of("name", "description")) {
        expect(!text(project, field).isBlank(), pom, "no <" + field + ">");
      }
      expect(URL.equals(text(project, "url")), pom, "<url> is '" + text(project, "url") + "'");
      Element licenses = child(project, "licenses");
      expect(licenses != null && children(licenses, "license").stream()
          .anyMatch(l -> text(l, "name").equals("Apache-2.0") && text(l, "url").contains("LICENSE-2.0")),
          pom, "no Apache-2.0 <license>");
      Element developers = child(project, "developers");
      expect(developers != null && !children(developers, "developer").isEmpty(), pom, "no <developers>");
      Element scm = child(project, "scm");
      expect(scm != null && URL.equals(text(scm, "url")) && text(scm, "connection").startsWith("scm:git:")
          && text(scm, "developerConnection").startsWith("scm:git:"), pom, "<scm> incomplete or wrong");
      Element issues = child(project, "issueManagement");
      expect(issues != null && text(issues, "url").startsWith(URL), pom, "no <issueManagement> url");
    }
    expect(seen.containsAll(POMS), effective, "effective POMs missing: expected " + POMS + ", found " + seen);
    System.out.println("  POM metadata (name, description, url, licenses, developers, scm, issueManagement) checked: " + seen);

    if (!failures.isEmpty()) {
      failures.forEach(f -> System.err.println("!! " + f));
      System.exit(1);
    }
    System.out.println("artifacts: all checks passed");
  }

  static int majorVersion(InputStream in) throws IOException {
    try (in) {
      byte[] head = in.readNBytes(8);
      return ((head[6] & 0xff) << 8) | (head[7] & 0xff);
    }
  }

  static Element child(Element parent, String tag) {
    List<Element> c = children(parent, tag);
    return c.isEmpty() ? null : c.get(0);
  }

  static List<Element> children(Element parent, String tag) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(tag)) {
        out.add(e);
      }
    }
    return out;
  }

  static String text(Element parent, String tag) {
    Element e = child(parent, tag);
    return e == null ? "" : e.getTextContent().trim();
  }

  static void expect(boolean ok, Path where, String what) {
    if (!ok) {
      fail(where, what);
    }
  }

  static void fail(Path where, String what) {
    failures.add(where.getFileName() + ": " + what);
  }
}
