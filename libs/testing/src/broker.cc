#include "pilotage/testing/broker.h"

#include <gtest/gtest.h>

#include "pilotage/testing/process.h"
#include "pilotage/testing/status.h"
#include "pilotage/testing/testing.h"

namespace pilotage::testing {

void ConnectBroker(BrokerClients& clients, const std::vector<std::string>& topics, bool producer) {
  clients.bootstrap = BrokerOrFail();
  ASSERT_FALSE(clients.bootstrap.empty());
  auto admin = kafka::Admin::Create(clients.bootstrap);
  ASSERT_OK(admin);
  clients.admin = std::move(*admin);
  for (const auto& t : topics) {
    ASSERT_OK(clients.admin->CreateTopic(t, 1)) << t;
  }
  if (!producer) return;
  auto made = kafka::Producer::Create({.bootstrap = clients.bootstrap});
  ASSERT_OK(made);
  clients.producer = std::move(*made);
}

void ProduceEvents(kafka::Producer& producer, const std::string& topic,
                   const std::vector<v1::Event>& events, int32_t partition) {
  std::vector<std::string> values;
  for (const auto& e : events) values.push_back(e.SerializeAsString());
  std::vector<kafka::Record> records;
  for (size_t i = 0; i < events.size(); ++i) {
    records.push_back(
        {.topic = topic, .key = events[i].lot_id(), .value = values[i], .partition = partition});
  }
  for (const auto& d : producer.SendAll(records)) {
    ASSERT_OK(d.status);
  }
}

void RunProjectorUntilCaughtUp(const std::string& binary, const ProjectorCatchUp& run) {
  const pid_t pid = Spawn(binary,
                          {"--bootstrap", run.bootstrap, "--data", run.data.string(), "--topics",
                           run.topics, "--dead-letter-topic", run.dead_letter_topic, "--group",
                           run.group, "--log-level", "warn", "run", "--until-caught-up"},
                          run.log);
  ASSERT_EQ(WaitExit(pid), 0) << TailOf(run.log);
}

}  // namespace pilotage::testing
