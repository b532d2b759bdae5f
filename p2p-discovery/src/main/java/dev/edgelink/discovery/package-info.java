/**
 * How edgelink nodes find each other and agree on who is in the mesh.
 *
 * <p>Entry points:
 * <ul>
 *   <li>{@link dev.edgelink.discovery.NodeRecord}: what a node announces (name, peer id, pod CIDRs, underlay
 *       addresses, VTEP MAC, tunnels, site, relay role, listen addresses, sequence, expiry, leaving).</li>
 *   <li>{@link dev.edgelink.discovery.NodeRecords}: the pure codec; {@code sign} and {@code verify} a record in its
 *       envelope, giving a {@link dev.edgelink.discovery.SignedRecord}.</li>
 *   <li>{@link dev.edgelink.discovery.MembershipStore}: the view and its acceptance rules;
 *       {@link dev.edgelink.discovery.MembershipListener} hears joined / updated / left.</li>
 *   <li>{@link dev.edgelink.discovery.MembershipService}: {@code /edgelink/members/2.0.0} (range reconciliation)
 *       and {@code /edgelink/members/push/2.0.0} (rumours) on a libp2p host; keeps the store in step with every
 *       other node over the connections it has, with bootstrap peers (and, if asked, the members) dialed.</li>
 *   <li>{@link dev.edgelink.discovery.trust}: the cluster CA's node certificates and revocation lists, and the
 *       {@link dev.edgelink.discovery.trust.TrustAnchors} that verify them.</li>
 * </ul>
 *
 * <p>An agent wires it like this:
 * <pre>{@code
 * MembershipStore store = MembershipStore.inMemory();
 * store.addListener(dataplane);                       // routes follow joined / updated / left
 * MembershipService members = new MembershipService(host, store,
 *         MembershipConfig.builder().bootstrapPeers(relays).build(),
 *         tasks.newScheduler("edgelink-membership", "membership"), InstantSource.system(), new SecureRandom());
 * members.start(NodeRecord.builder(nodeName, host.peerId()).podCidr("10.244.1.0/24")
 *         .tunnel(TunnelCapability.VXLAN).tunnel(TunnelCapability.USERSPACE).build());
 * ...
 * members.leave().get(5, SECONDS);                    // on shutdown
 * members.close();
 * }</pre>
 *
 * <p>Implementation lives in {@code internal}: {@code internal.record} (record protobuf mapping),
 * {@code internal.store} (the in-memory store), {@code internal.members} (the exchange codec, the range index, the
 * per-stream state machine and its Netty glue, the rumours' bookkeeping, dial backoff), {@code internal.trust} (the
 * certificate envelope and body codecs, the signature cache).
 */
package dev.edgelink.discovery;
