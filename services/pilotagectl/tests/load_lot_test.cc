// `statement --issue` computes the statement from the very snapshot that
// readmodel::OpenTrusted checked: LoadLot on an open snapshot reads that
// snapshot, not what the projector folded since. The store is a real one,
// folded by the cep projection (testing::ProjectionDriver, no Kafka).
#include <filesystem>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "pilotage/projector/cep.h"
#include "pilotage/readmodel/open.h"
#include "pilotage/testing/penalty_scenario.h"
#include "pilotage/testing/projection_driver.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"
#include "pilotage/topics/topics.h"
#include "steering_common.h"

namespace pilotage::pilotagectl {
namespace {

namespace fs = std::filesystem;

// "topic/partition<next_offset" for each offset, in order.
std::vector<std::string> Offsets(const LotState& state) {
  std::vector<std::string> out;
  for (const auto& o : state.input_offsets) {
    out.push_back(o.topic() + "/" + std::to_string(o.partition()) + "<" +
                  std::to_string(o.next_offset()));
  }
  return out;
}

TEST(LoadLot, ReadsTheSnapshotItIsGivenNotTheStoreAsItIsNow) {
  testing::TempDir dir;
  const fs::path data = dir.path() / "data";
  fs::create_directories(data / "stores");
  fs::create_directory_symlink("stores/initial", data / "current");
  auto cep = projector::CepProjection::Create();
  ASSERT_OK(cep);
  auto driver = testing::ProjectionDriver::Create(cep->get(), data / "stores" / "initial",
                                                  {.topic = topics::kContract});
  ASSERT_OK(driver);
  ASSERT_OK((*driver)->Pipe({testing::AwardOf("LOT-11")}, 0));

  // The snapshot a check would accept; then the projector folds on.
  auto snapshot = readmodel::ReadStore::OpenReadOnly(data);
  ASSERT_OK(snapshot);
  ASSERT_OK((*driver)->Pipe({testing::AwardOf("LOT-24")}, 1));

  const std::string contract(topics::kContract);
  SteeringCommon common{.data_dir = data, .lot = "LOT-11"};
  auto then = LoadLot(common, **snapshot, /*require_award=*/true);
  ASSERT_OK(then);
  EXPECT_EQ(Offsets(*then), std::vector<std::string>({contract + "/0<1"}));
  auto now = LoadLot(common, /*require_award=*/true);
  ASSERT_OK(now);
  EXPECT_EQ(Offsets(*now), std::vector<std::string>({contract + "/0<1", contract + "/1<1"}));

  // LOT-24's award came after the snapshot: unknown there, known now.
  common.lot = "LOT-24";
  EXPECT_EQ(LoadLot(common, **snapshot, true).status().code(), absl::StatusCode::kNotFound);
  EXPECT_OK(LoadLot(common, true));
}

}  // namespace
}  // namespace pilotage::pilotagectl
