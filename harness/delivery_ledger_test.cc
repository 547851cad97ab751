#include "harness/delivery_ledger.h"

#include <gtest/gtest.h>

namespace faultline::harness {
namespace {

TEST(DeliveryLedger, CountsAcknowledgedSendsDeliveredInEitherOrder) {
  DeliveryLedger l;
  l.Acknowledged(1);
  l.Delivered(1);  // acknowledged, then delivered
  l.Delivered(2);
  l.Acknowledged(2);  // delivered before its outcome was known
  l.Delivered(3);     // an unknown send delivered: not an acknowledged one
  l.Acknowledged(4);  // acknowledged, not yet delivered
  l.Delivered(1);     // a duplicate
  EXPECT_EQ(l.acknowledged_delivered(), 2);
  l.Delivered(4);
  EXPECT_EQ(l.acknowledged_delivered(), 3);
}

TEST(DeliveryLedger, ARetractedDeliveryCountsUntilNoCopyIsLeft) {
  DeliveryLedger l;
  l.Acknowledged(1);
  l.Delivered(1);
  l.Delivered(1);  // a duplicate
  l.Retracted(1);  // one copy taken back: still delivered
  EXPECT_EQ(l.acknowledged_delivered(), 1);
  l.Retracted(1);  // none left: on its way again
  EXPECT_EQ(l.acknowledged_delivered(), 0);
  l.Retracted(1);  // more retractions than deliveries change nothing
  l.Retracted(7);
  EXPECT_EQ(l.acknowledged_delivered(), 0);
  l.Delivered(1);  // the replay
  EXPECT_EQ(l.acknowledged_delivered(), 1);
}

}  // namespace
}  // namespace faultline::harness
