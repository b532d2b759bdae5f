/**
 * Admission by the cluster CA: who may join the mesh, under which node name, peer id and pod CIDRs.
 *
 * <p>The operator keeps an Ed25519 CA ({@code bin/edgelink ca init}) and signs a certificate for each node
 * ({@code ca sign}); every node trusts the CA's certificate and checks the certificate behind every node record.
 * A CA-signed revocation list ({@code ca revoke}) takes certificates, or whole node names up to an instant, back.
 *
 * <ul>
 *   <li>{@link dev.edgelink.discovery.trust.CaCertificate}: the self-signed CA certificate.</li>
 *   <li>{@link dev.edgelink.discovery.trust.NodeCertificate}: node name, peer id, pod CIDRs, site, relay role,
 *       validity, and the fingerprint of its CA.</li>
 *   <li>{@link dev.edgelink.discovery.trust.RevocationList}: revoked certificate fingerprints and node names.</li>
 *   <li>{@link dev.edgelink.discovery.trust.TrustAnchors}: the trusted CAs; verifies a certificate at an instant,
 *       caching signature checks by fingerprint, and verifies revocation lists.</li>
 * </ul>
 *
 * <p>All three are one protobuf envelope, {@code SignedTrust} (kind, body, Ed25519 signature over a per-kind domain
 * and the body), described in {@link dev.edgelink.discovery.internal.trust.TrustCodec}. A refusal is an
 * {@link dev.edgelink.discovery.trust.InvalidCertificateException} whose
 * {@link dev.edgelink.discovery.trust.TrustProblem} says which check failed.
 */
package dev.edgelink.discovery.trust;
