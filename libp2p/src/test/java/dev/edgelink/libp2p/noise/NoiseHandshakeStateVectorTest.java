package dev.edgelink.libp2p.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgelink.libp2p.ProtocolViolationException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Noise_XX_25519_ChaChaPoly_SHA256 against published vectors (cacophony and snow, kept in
 * {@code noise-xx-vectors.json}): every handshake message, the handshake hash where given, and the transport
 * messages that follow, byte for byte.
 *
 * <p>Transport cipher states use the JDK cipher here; {@link NoiseHandshakeStateVectorOpenSslTest} repeats every test
 * on OpenSSL.
 */
@ExtendWith(JdkCipherByDefault.class)
class NoiseHandshakeStateVectorTest {

    private static final HexFormat HEX = HexFormat.of();

    static Stream<Arguments> vectors() throws IOException {
        try (InputStream in = NoiseHandshakeStateVectorTest.class.getResourceAsStream("noise-xx-vectors.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            List<Arguments> out = new ArrayList<>();
            for (JsonNode v : root.get("vectors")) {
                out.add(Arguments.of(v.get("source").asText(), v));
            }
            return out.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void handshakeAndTransportMatchVectorByteForByte(String source, JsonNode v) {
        HandshakeState init = new HandshakeState(true, hex(v, "init_prologue"), key(v, "init_static"),
            () -> key(v, "init_ephemeral"));
        HandshakeState resp = new HandshakeState(false, hex(v, "resp_prologue"), key(v, "resp_static"),
            () -> key(v, "resp_ephemeral"));
        JsonNode messages = v.get("messages");
        for (int i = 0; i < 3; i++) {
            HandshakeState writer = i % 2 == 0 ? init : resp;
            HandshakeState reader = i % 2 == 0 ? resp : init;
            byte[] payload = hex(messages.get(i), "payload");
            byte[] wire = writer.writeMessage(payload);
            assertArrayEquals(hex(messages.get(i), "ciphertext"), wire, "handshake message " + (i + 1));
            assertArrayEquals(payload, reader.readMessage(wire), "payload of handshake message " + (i + 1));
        }
        if (v.has("handshake_hash")) {
            assertArrayEquals(hex(v, "handshake_hash"), init.handshakeHash());
        }
        assertArrayEquals(init.handshakeHash(), resp.handshakeHash());
        CipherState[] initCs = init.split();
        CipherState[] respCs = resp.split();
        for (int i = 3; i < messages.size(); i++) {
            boolean fromInitiator = i % 2 == 0;
            CipherState sender = fromInitiator ? initCs[0] : respCs[0];
            CipherState receiver = fromInitiator ? respCs[1] : initCs[1];
            byte[] payload = hex(messages.get(i), "payload");
            byte[] wire = new byte[payload.length + CipherState.TAG_LENGTH];
            sender.encrypt(payload, 0, payload.length, wire, 0);
            assertArrayEquals(hex(messages.get(i), "ciphertext"), wire, "transport message " + (i + 1));
            byte[] back = new byte[payload.length];
            assertEquals(payload.length, receiver.decrypt(wire, 0, wire.length, back, 0));
            assertArrayEquals(payload, back);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void flippedBitInMessage2IsRejectedByInitiator(String source, JsonNode v) {
        HandshakeState init = new HandshakeState(true, hex(v, "init_prologue"), key(v, "init_static"),
            () -> key(v, "init_ephemeral"));
        init.writeMessage(hex(v.get("messages").get(0), "payload"));
        byte[] msg2 = hex(v.get("messages").get(1), "ciphertext");
        msg2[msg2.length - 1] ^= 0x01;
        ProtocolViolationException e = assertThrows(ProtocolViolationException.class, () -> init.readMessage(msg2));
        assertEquals("noise: handshake message 2 payload failed authentication", e.getMessage());
    }

    private static NoiseKeyPair key(JsonNode v, String field) {
        return NoiseKeyPair.fromPrivateKey(hex(v, field));
    }

    private static byte[] hex(JsonNode v, String field) {
        return HEX.parseHex(v.get(field).asText());
    }
}
