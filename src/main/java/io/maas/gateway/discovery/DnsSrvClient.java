package io.maas.gateway.discovery;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal DNS client for SRV records (RFC 1035, RFC 2782): UDP with an EDNS0 payload of 4096 bytes, then TCP when
 * the answer is truncated, so a large worker fleet is listed whole. Written here because Quarkus disables JNDI (the
 * JDK's DNS provider) in the application, and a resolver that silently ignored truncation would hide workers.
 */
public final class DnsSrvClient {
    private static final int TYPE_SRV = 33;
    private static final int TYPE_OPT = 41;
    private static final int RCODE_NXDOMAIN = 3;
    private static final int UDP_PAYLOAD = 4096;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final List<InetSocketAddress> servers;
    private final int timeoutMillis;

    public DnsSrvClient(List<InetSocketAddress> servers, int timeoutMillis) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no DNS server");
        }
        this.servers = List.copyOf(servers);
        this.timeoutMillis = timeoutMillis;
    }

    /** The system's name servers ({@code nameserver} lines of /etc/resolv.conf, port 53). */
    public static DnsSrvClient system(int timeoutMillis) throws IOException {
        List<InetSocketAddress> servers = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"))) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length >= 2 && parts[0].equals("nameserver")) {
                servers.add(new InetSocketAddress(InetAddress.getByName(parts[1]), 53));
            }
        }
        if (servers.isEmpty()) {
            throw new IOException("/etc/resolv.conf names no nameserver");
        }
        return new DnsSrvClient(servers, timeoutMillis);
    }

    /**
     * The SRV records of {@code name} as {@code "priority weight port target"} (target without the final dot); empty
     * when the name does not exist (NXDOMAIN) or has none. Asks each server in turn until one answers.
     */
    public List<String> srv(String name) throws IOException {
        IOException last = null;
        for (InetSocketAddress server : servers) {
            try {
                return ask(server, name);
            } catch (IOException e) {
                last = e;
            }
        }
        throw last;
    }

    private List<String> ask(InetSocketAddress server, String name) throws IOException {
        int id = RANDOM.nextInt(0x10000);
        byte[] query = query(id, name);
        byte[] answer;
        try (DatagramSocket udp = new DatagramSocket()) {
            udp.setSoTimeout(timeoutMillis);
            udp.send(new DatagramPacket(query, query.length, server));
            byte[] buf = new byte[UDP_PAYLOAD];
            while (true) {
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                udp.receive(in); // SocketTimeoutException is an IOException: the next server is asked
                if (in.getLength() >= 12 && ((buf[0] & 0xff) << 8 | buf[1] & 0xff) == id) {
                    answer = java.util.Arrays.copyOf(buf, in.getLength());
                    break;
                }
            }
        }
        if ((answer[2] & 0x02) != 0) { // TC: truncated, ask again over TCP for the whole answer
            answer = askTcp(server, query);
        }
        return parse(answer, id);
    }

    private byte[] askTcp(InetSocketAddress server, byte[] query) throws IOException {
        try (Socket tcp = new Socket()) {
            tcp.connect(server, timeoutMillis);
            tcp.setSoTimeout(timeoutMillis);
            DataOutputStream out = new DataOutputStream(tcp.getOutputStream());
            out.writeShort(query.length);
            out.write(query);
            out.flush();
            DataInputStream in = new DataInputStream(tcp.getInputStream());
            byte[] answer = new byte[in.readUnsignedShort()];
            in.readFully(answer);
            return answer;
        } catch (SocketTimeoutException e) {
            throw new IOException("DNS over TCP to " + server + " timed out", e);
        }
    }

    static byte[] query(int id, String name) {
        ByteBuffer q = ByteBuffer.allocate(512);
        q.putShort((short) id).putShort((short) 0x0100) // recursion desired
                .putShort((short) 1).putShort((short) 0).putShort((short) 0).putShort((short) 1);
        for (String label : name.endsWith(".") ? name.substring(0, name.length() - 1).split("\\.") : name.split("\\.")) {
            byte[] bytes = label.getBytes(StandardCharsets.US_ASCII);
            if (bytes.length == 0 || bytes.length > 63) {
                throw new IllegalArgumentException("not a DNS name: " + name);
            }
            q.put((byte) bytes.length).put(bytes);
        }
        q.put((byte) 0).putShort((short) TYPE_SRV).putShort((short) 1);
        // EDNS0 OPT record: answers up to UDP_PAYLOAD bytes over UDP before truncating.
        q.put((byte) 0).putShort((short) TYPE_OPT).putShort((short) UDP_PAYLOAD).putInt(0).putShort((short) 0);
        return java.util.Arrays.copyOf(q.array(), q.position());
    }

    static List<String> parse(byte[] message, int id) throws IOException {
        try {
            ByteBuffer m = ByteBuffer.wrap(message);
            if ((m.getShort() & 0xffff) != id) {
                throw new IOException("DNS answer for another query");
            }
            int flags = m.getShort() & 0xffff;
            int rcode = flags & 0x0f;
            if (rcode == RCODE_NXDOMAIN) {
                return List.of();
            }
            if (rcode != 0) {
                throw new IOException("DNS server answered rcode " + rcode);
            }
            int questions = m.getShort() & 0xffff;
            int answers = m.getShort() & 0xffff;
            m.getShort();
            m.getShort();
            for (int i = 0; i < questions; i++) {
                name(m);
                m.getInt(); // type, class
            }
            List<String> records = new ArrayList<>();
            for (int i = 0; i < answers; i++) {
                name(m);
                int type = m.getShort() & 0xffff;
                m.getShort(); // class
                m.getInt(); // ttl
                int length = m.getShort() & 0xffff;
                int end = m.position() + length;
                if (type == TYPE_SRV) {
                    int priority = m.getShort() & 0xffff;
                    int weight = m.getShort() & 0xffff;
                    int port = m.getShort() & 0xffff;
                    records.add(priority + " " + weight + " " + port + " " + name(m));
                }
                m.position(end);
            }
            return records;
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new IOException("malformed DNS answer", e);
        }
    }

    /** Reads a (possibly compressed) name at the buffer's position, leaving it after the name. */
    private static String name(ByteBuffer m) {
        StringBuilder name = new StringBuilder();
        int position = m.position();
        int resumeAt = -1;
        for (int jumps = 0; ; ) {
            int len = m.get(position) & 0xff;
            if ((len & 0xc0) == 0xc0) {
                if (++jumps > 32) {
                    throw new IllegalArgumentException("DNS name compression loop");
                }
                if (resumeAt < 0) {
                    resumeAt = position + 2;
                }
                position = ((len & 0x3f) << 8) | (m.get(position + 1) & 0xff);
                continue;
            }
            if (len == 0) {
                position++;
                break;
            }
            byte[] label = new byte[len];
            m.get(position + 1, label);
            name.append(name.length() == 0 ? "" : ".").append(new String(label, StandardCharsets.US_ASCII));
            position += 1 + len;
        }
        m.position(resumeAt >= 0 ? resumeAt : position);
        return name.toString();
    }
}
