package dev.edgelink.discovery.internal.store;

import dev.edgelink.discovery.MembershipStore;
import dev.edgelink.discovery.MembershipStoreContractTest;
import dev.edgelink.discovery.MembershipTrust;
import dev.edgelink.discovery.StoreLimits;

class InMemoryMembershipStoreTest extends MembershipStoreContractTest {

    @Override
    protected MembershipStore newStore(StoreLimits limits) {
        return new InMemoryMembershipStore(limits, MembershipTrust.insecure(MembershipStore.DEFAULT_CLOCK_SKEW));
    }
}
