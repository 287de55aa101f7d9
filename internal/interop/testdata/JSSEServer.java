// A typical JSSE application for the interop tests: an SSLServerSocket with
// the default SSLContext settings, a thread per connection that reads HTTP
// requests, writes each response, and closes the socket when the client
// asks for it or stops sending. Run as a source file:
//
//	java JSSEServer.java PORT CERT.pem KEY.pem DOCROOT [LINGER_MS]
//
// With LINGER_MS, the application waits that long between the end of the
// client's stream and its close(), as a busy application would.
// The key is a PKCS#8 PEM file (EC or RSA).
import java.io.*;
import java.net.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import javax.net.ssl.*;

public class JSSEServer {
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        SSLContext ctx = context(Paths.get(args[1]), Paths.get(args[2]));
        Path root = Paths.get(args[3]);
        long linger = args.length > 4 ? Long.parseLong(args[4]) : 0;
        SSLServerSocket ss = (SSLServerSocket) ctx.getServerSocketFactory()
            .createServerSocket(port, 50, InetAddress.getByName("127.0.0.1"));
        System.out.println("listening on " + ss.getLocalPort());
        while (true) {
            Socket s = ss.accept();
            new Thread(() -> serve(s, root, linger)).start();
        }
    }

    static SSLContext context(Path certFile, Path keyFile) throws Exception {
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
            .generateCertificate(Files.newInputStream(certFile));
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(pemBody(keyFile));
        String alg = cert.getPublicKey().getAlgorithm(); // "EC" or "RSA"
        PrivateKey key = KeyFactory.getInstance(alg).generatePrivate(spec);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pass = "interop".toCharArray();
        ks.setKeyEntry("server", key, pass, new java.security.cert.Certificate[] {cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pass);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    static byte[] pemBody(Path file) throws IOException {
        StringBuilder b64 = new StringBuilder();
        for (String line : Files.readAllLines(file)) {
            if (!line.startsWith("-----")) {
                b64.append(line.trim());
            }
        }
        return Base64.getDecoder().decode(b64.toString());
    }

    // serve answers requests until the client sends "Connection: close" or
    // ends its side (read returns -1, which JSSE reports for close_notify),
    // then closes the socket.
    static void serve(Socket s, Path root, long linger) {
        try (s) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    Thread.sleep(linger);
                    return;
                }
                String path = head.split(" ", 3)[1].substring(1);
                byte[] body = Files.readAllBytes(root.resolve(path).normalize());
                boolean close = head.toLowerCase().contains("\r\nconnection: close");
                String resp = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                    + body.length + (close ? "\r\nConnection: close" : "") + "\r\n\r\n";
                out.write(resp.getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                if (close) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            System.err.println("connection: " + e);
        }
    }

    // readHead reads a request's head up to its blank line, or returns null
    // at the end of the stream.
    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            String h = head.toString(StandardCharsets.US_ASCII);
            if (h.endsWith("\r\n\r\n")) {
                return h;
            }
        }
    }
}
