package io.maas.testing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.maas.gateway.discovery.DnsSrvClient;

/**
 * Answers SRV questions from {@code records} (name -> "priority weight port target"), NXDOMAIN otherwise, on UDP
 * and TCP of one port; over UDP an answer of more than {@code udpRecords} records is truncated (TC, no records),
 * as a server does when the answer exceeds the UDP payload.
 */
public final class TinyDns implements AutoCloseable {
    private final ServerSocket tcp;
    private final DatagramSocket socket;
    public final Map<String, List<String>> records = new ConcurrentHashMap<>();
    public final AtomicInteger tcpQueries = new AtomicInteger();
    public volatile int udpRecords = Integer.MAX_VALUE;

    public TinyDns() throws Exception {
        tcp = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        socket = new DatagramSocket(tcp.getLocalPort(), InetAddress.getLoopbackAddress());
        Thread udp = new Thread(this::serve, "tiny-dns-udp");
        udp.setDaemon(true);
        udp.start();
        Thread stream = new Thread(this::serveTcp, "tiny-dns-tcp");
        stream.setDaemon(true);
        stream.start();
    }

    /** {@code 127.0.0.1:<port>}, UDP and TCP. */
    public String address() {
        return "127.0.0.1:" + tcp.getLocalPort();
    }

    public DnsSrvClient client() {
        return new DnsSrvClient(List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), tcp.getLocalPort())),
                2000);
    }

    private void serve() {
        byte[] buf = new byte[4096];
        while (!socket.isClosed()) {
            try {
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                socket.receive(in);
                byte[] answer = answer(ByteBuffer.wrap(in.getData(), 0, in.getLength()), true);
                socket.send(new DatagramPacket(answer, answer.length, in.getSocketAddress()));
            } catch (Exception e) {
                return;
            }
        }
    }

    private void serveTcp() {
        while (!tcp.isClosed()) {
            try (Socket s = tcp.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                byte[] query = new byte[in.readUnsignedShort()];
                in.readFully(query);
                tcpQueries.incrementAndGet();
                byte[] answer = answer(ByteBuffer.wrap(query), false);
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                out.writeShort(answer.length);
                out.write(answer);
                out.flush();
            } catch (Exception e) {
                if (tcp.isClosed()) {
                    return;
                }
            }
        }
    }

    private byte[] answer(ByteBuffer q, boolean udp) {
        short id = q.getShort();
        q.position(12);
        StringBuilder name = new StringBuilder();
        for (int len = q.get(); len != 0; len = q.get()) {
            byte[] label = new byte[len];
            q.get(label);
            name.append(name.length() == 0 ? "" : ".").append(new String(label, StandardCharsets.US_ASCII));
        }
        int qtype = q.getShort();
        q.getShort(); // class
        int questionEnd = q.position();
        List<String> found = qtype == 33 ? records.get(name.toString().toLowerCase()) : null;
        boolean truncated = udp && found != null && found.size() > udpRecords;
        if (truncated) {
            found = List.of();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer header = ByteBuffer.allocate(12).putShort(id) // NXDOMAIN, or an authoritative answer (maybe TC)
                .putShort((short) (found == null ? 0x8183 : truncated ? 0x8780 : 0x8580))
                .putShort((short) 1).putShort((short) (found == null ? 0 : found.size())).putShort((short) 0)
                .putShort((short) 0);
        out.writeBytes(header.array());
        out.write(q.array(), 12, questionEnd - 12);
        for (String r : found == null ? List.<String>of() : found) {
            String[] p = r.split(" ");
            ByteArrayOutputStream target = new ByteArrayOutputStream();
            for (String label : p[3].split("\\.")) {
                target.write(label.length());
                target.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
            }
            target.write(0);
            byte[] t = target.toByteArray();
            ByteBuffer rr = ByteBuffer.allocate(12 + 6 + t.length).putShort((short) 0xC00C).putShort((short) 33)
                    .putShort((short) 1).putInt(30).putShort((short) (6 + t.length))
                    .putShort(Short.parseShort(p[0])).putShort(Short.parseShort(p[1]))
                    .putShort((short) Integer.parseInt(p[2])).put(t);
            out.writeBytes(rr.array());
        }
        return out.toByteArray();
    }

    @Override
    public void close() throws Exception {
        socket.close();
        tcp.close();
    }
}
