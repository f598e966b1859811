// The external system under test, piece by piece: the protocol's values read back what they
// write and reject what they do not know; the reference adapter answers bad requests with errors;
// the adapter's journaled memory store keeps exactly its committed transactions across a reopen
// and survives a torn last write; and an ExternalSystem driving treesim-adapter keeps every
// acknowledged op across a kill, carries an armed fault across it like the in-process replica,
// and turns a hung adapter into an unresponsive failure naming the request.
#include "sim/external_system.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "core/json_values.h"
#include "sim/adapter_memory_store.h"
#include "sim/adapter_protocol.h"
#include "sim/adapter_server.h"
#include "sim/in_process_replica.h"

#ifndef TREESIM_ADAPTER_PATH
#error "TREESIM_ADAPTER_PATH must name the treesim-adapter binary"
#endif
#ifndef TREESIM_MISBEHAVING_ADAPTER
#error "TREESIM_MISBEHAVING_ADAPTER must name tests/sim/external_misbehaving_adapter.sh"
#endif

namespace treesim {
namespace {

using ::testing::HasSubstr;

NodeId node(std::uint64_t low) { return NodeId{0, low}; }

LocalEdit insert(std::uint64_t child, std::uint64_t parent = 0) {
  LocalEdit edit;
  edit.kind = LocalEdit::Kind::kInsert;
  edit.node = child == 0 ? kRoot : node(child);
  edit.parent = parent == 0 ? kRoot : node(parent);
  edit.placement = Placement::last();
  return edit;
}

// A fresh temporary directory, removed with its contents at the end of the test.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "external-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~ScratchDirectory() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// --- the protocol's values ---

TEST(AdapterProtocol, EditsOfEveryKindReadBackWhatWasWritten) {
  LocalEdit move = insert(2, 1);
  move.kind = LocalEdit::Kind::kMove;
  move.placement = Placement::after(node(3));
  LocalEdit remove;
  remove.kind = LocalEdit::Kind::kRemove;
  remove.node = node(4);
  LocalEdit clear;
  clear.kind = LocalEdit::Kind::kSetPayload;
  clear.node = node(5);
  LocalEdit with_payload = insert(6);
  with_payload.payload = std::string("\x00\xff", 2);
  with_payload.placement = Placement::first();
  for (const LocalEdit& edit : {insert(1), move, remove, clear, with_payload}) {
    auto back = protocol::edit_from_json(protocol::edit_to_json(edit), "edit");
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(*back, edit) << edit.to_display();
  }
}

TEST(AdapterProtocol, ReadersRejectUnknownFieldsAndNameThem) {
  nlohmann::json edit = protocol::edit_to_json(insert(1));
  edit["colour"] = "red";
  auto read = protocol::edit_from_json(edit, "edit");
  ASSERT_FALSE(read.is_ok());
  EXPECT_THAT(read.status().message(), HasSubstr("field 'edit.colour': unknown field"));

  auto head = protocol::head_from_json(nlohmann::json{{"seq", -1}, {"key", nullptr}}, "head");
  ASSERT_FALSE(head.is_ok());
  EXPECT_THAT(head.status().message(), HasSubstr("field 'head.seq'"));

  AppendResult result;
  result.affected = {node(2), node(1)};
  auto unsorted = protocol::append_result_from_json(protocol::append_result_to_json(result), "");
  ASSERT_FALSE(unsorted.is_ok());
  EXPECT_THAT(unsorted.status().message(), HasSubstr("field 'affected': node ids must be sorted"));
}

TEST(AdapterProtocol, HeadsFrontiersAndErrorsReadBackWhatWasWritten) {
  const OpKey key{5, ReplicaId::of("b"), 2};
  for (const Head& head : {Head{}, Head{key, 7}}) {
    EXPECT_EQ(*protocol::head_from_json(protocol::head_to_json(head), "head"), head);
  }
  for (const Frontier& frontier : {Frontier::none(), Frontier::start(), Frontier::at(key)}) {
    EXPECT_EQ(*protocol::frontier_from_json(protocol::frontier_to_json(frontier), "frontier"),
              frontier);
  }
  const nlohmann::json error =
      protocol::error_to_json(Status::storage_full("disk full"), /*needs_restart=*/true);
  auto back = protocol::error_from_json(error.at("error"), "error");
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(back->status, Status::storage_full("disk full"));
  EXPECT_TRUE(back->needs_restart);
}

TEST(AdapterProtocol, QueryAnswersReadBackWhatWasWrittenAndNameBadFields) {
  const QueryAnswers hidden{{}, kTrash, std::string("\x00\xff", 2)};
  for (const QueryAnswers& answers : {QueryAnswers{}, QueryAnswers{{node(2), node(1)}, kRoot, ""},
                                      hidden}) {
    auto back = protocol::query_answers_from_json(protocol::query_answers_to_json(answers), "");
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(*back, answers);
  }
  nlohmann::json bad = protocol::query_answers_to_json(hidden);
  bad["children"] = nlohmann::json::array({"not a node"});
  auto read = protocol::query_answers_from_json(bad, "");
  ASSERT_FALSE(read.is_ok());
  EXPECT_THAT(read.status().message(), HasSubstr("field 'children[0]'"));
  bad.erase("children");
  read = protocol::query_answers_from_json(bad, "");
  ASSERT_FALSE(read.is_ok());
  EXPECT_THAT(read.status().message(), HasSubstr("children"));
}

// --- the reference adapter's request handling ---

TEST(AdapterServer, BadRequestsGetErrorResponses) {
  AdapterServer server({});
  EXPECT_THAT(server.handle("not json"), HasSubstr(R"("code":"invalid_argument")"));
  EXPECT_THAT(server.handle(R"({"request":"dance"})"), HasSubstr(R"("code":"unsupported")"));
  EXPECT_THAT(server.handle(R"({"request":"head"})"), HasSubstr(R"("code":"failed_precondition")"));
  EXPECT_THAT(server.handle(R"({"request":"hello","protocol":2})"),
              HasSubstr(R"("code":"unsupported")"));
  EXPECT_THAT(server.handle(R"({"request":"hello","protocol":1})"), HasSubstr(R"("protocol":1)"));
  EXPECT_FALSE(server.is_closed());
  EXPECT_EQ(server.handle(R"({"request":"close"})"), "{}");
  EXPECT_TRUE(server.is_closed());
}

// --- the journaled memory store ---

class JournaledMemoryStoreTest : public ::testing::Test {
 protected:
  std::string journal() const { return (scratch_.path() / "journal").string(); }
  std::unique_ptr<JournaledMemoryStore> Open() {
    auto store = JournaledMemoryStore::open(journal());
    EXPECT_TRUE(store.is_ok()) << store.status().to_string();
    return store.is_ok() ? *std::move(store) : nullptr;
  }
  static void CommitNode(Store& store, std::uint64_t id) {
    ASSERT_TRUE(store.begin().is_ok());
    NodeRow row;
    row.node = node(id);
    row.parent = kRoot;
    row.order_key = "\x80";
    ASSERT_TRUE(store.put_node(row).is_ok());
    StoreMeta meta;
    meta.head.seq = id;
    ASSERT_TRUE(store.write_meta(meta).is_ok());
    ASSERT_TRUE(store.commit().is_ok());
  }
  static std::uint64_t NodeCount(Store& store) {
    std::uint64_t count = 0;
    EXPECT_TRUE(store.scan_nodes([&](const NodeRow&) { ++count; }).is_ok());
    return count;
  }

  ScratchDirectory scratch_;
};

TEST_F(JournaledMemoryStoreTest, CommittedTransactionsAndOnlyThoseSurviveAReopen) {
  {
    auto store = Open();
    CommitNode(*store, 1);
    CommitNode(*store, 2);
    ASSERT_TRUE(store->begin().is_ok());
    ASSERT_TRUE(store->erase_node(node(1)).is_ok());
    store->rollback();
  }
  auto store = Open();
  EXPECT_EQ(NodeCount(*store), 2u);
  EXPECT_EQ(store->read_meta()->head.seq, 2u);
  store->memory().check_invariants();
}

TEST_F(JournaledMemoryStoreTest, TornLastRecordIsDroppedAndTruncated) {
  {
    auto store = Open();
    CommitNode(*store, 1);
    CommitNode(*store, 2);
  }
  const auto whole = std::filesystem::file_size(journal());
  std::filesystem::resize_file(journal(), whole - 3);  // the last write, cut short
  {
    auto store = Open();
    EXPECT_EQ(NodeCount(*store), 1u);
    EXPECT_EQ(store->read_meta()->head.seq, 1u);
    CommitNode(*store, 3);  // appends after the last whole record
  }
  auto store = Open();
  EXPECT_EQ(NodeCount(*store), 2u);
  EXPECT_EQ(store->read_meta()->head.seq, 3u);
}

TEST_F(JournaledMemoryStoreTest, DamagedRecordBeforeTheEndIsCorruption) {
  {
    auto store = Open();
    CommitNode(*store, 1);
    CommitNode(*store, 2);
  }
  {
    std::fstream file(journal(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(20);
    file.put('\x5a');
  }
  auto store = JournaledMemoryStore::open(journal());
  ASSERT_FALSE(store.is_ok());
  EXPECT_EQ(store.status().code(), StatusCode::kCorruption);
  EXPECT_THAT(store.status().message(), HasSubstr("journal record at byte 0"));
}

// --- ExternalSystem over treesim-adapter ---

std::unique_ptr<SystemUnderTest> MakeExternal(
    const ReplicaConfig& config, std::string command = TREESIM_ADAPTER_PATH,
    double timeout_seconds = 10, std::shared_ptr<ExternalFailures> failures = nullptr) {
  ExternalOptions options;
  options.command = std::move(command);
  options.timeout_seconds = timeout_seconds;
  return external_factory(options, std::move(failures))(ReplicaId::of("a"), config, 1);
}

class KilledAdapter : public ::testing::TestWithParam<StoreKind> {};

TEST_P(KilledAdapter, KeepsEveryAcknowledgedOp) {
  ReplicaConfig config;
  config.store = GetParam();
  auto system = MakeExternal(config);
  ASSERT_TRUE(system->open().is_ok());
  for (std::uint64_t i = 1; i <= 5; ++i) ASSERT_TRUE(system->local(insert(i)).is_ok());
  ASSERT_TRUE(system->local(insert(6, 2)).is_ok());
  const VersionVector log = system->version_vector();
  const Head head = system->head();
  const Snapshot snapshot = system->materialized_snapshot();
  ASSERT_EQ(head.seq, 6u);

  system->crash();
  EXPECT_FALSE(system->is_open());
  ASSERT_TRUE(system->open().is_ok());
  EXPECT_EQ(system->version_vector(), log);
  EXPECT_EQ(system->head(), head);
  EXPECT_EQ(system->materialized_snapshot(), snapshot);
  EXPECT_EQ(system->check_invariants(), std::nullopt);
  // The reopened replica mints the next counter, not a reused one.
  auto next = system->local(insert(7));
  ASSERT_TRUE(next.is_ok());
  EXPECT_EQ(next->op.id.counter, 7u);
  EXPECT_GE(system->probes().count(Probe::kLocalOp), 7u);
}

INSTANTIATE_TEST_SUITE_P(Stores, KilledAdapter,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kMemory),
                         [](const auto& param_info) {
                           return std::string(store_kind_name(param_info.param));
                         });

TEST(ExternalSystem, ArmedStorageFaultOutlivesTheKillAsInProcess) {
  ReplicaConfig config;
  config.store = StoreKind::kMemory;
  InProcessReplica inside(ReplicaId::of("a"), config, 1);
  auto outside = MakeExternal(config);
  for (SystemUnderTest* system : {static_cast<SystemUnderTest*>(&inside), outside.get()}) {
    ASSERT_TRUE(system->open().is_ok());
    ASSERT_TRUE(system->local(insert(1)).is_ok());
    ASSERT_TRUE(system->arm_storage_fault(4));
    system->crash();
  }
  // Reopening reads the store: the armed countdown fires in the same call on both sides.
  std::vector<Status> opens;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const Status a = inside.is_open() ? Status::ok() : inside.open();
    const Status b = outside->is_open() ? Status::ok() : outside->open();
    EXPECT_EQ(a.code(), b.code()) << "attempt " << attempt << ": " << a.to_string() << " vs "
                                  << b.to_string();
    opens.push_back(b);
  }
  EXPECT_TRUE(std::any_of(opens.begin(), opens.end(), [](const Status& status) {
    return status.code() == StatusCode::kIoError;
  }));
  EXPECT_TRUE(outside->is_open());
  EXPECT_EQ(outside->version_vector(), inside.version_vector());
}

TEST(ExternalSystem, HungAdapterIsUnresponsiveAndNamesTheRequest) {
  auto failures = std::make_shared<ExternalFailures>();
  const std::string command =
      std::string(TREESIM_MISBEHAVING_ADAPTER) + " hang append " + TREESIM_ADAPTER_PATH;
  auto system = MakeExternal(ReplicaConfig{}, command, /*timeout_seconds=*/0.3, failures);
  ASSERT_TRUE(system->open().is_ok());
  const auto started = std::chrono::steady_clock::now();
  auto result = system->append({});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal);
  EXPECT_LT(seconds, 5.0);
  ASSERT_TRUE(failures->first().has_value());
  EXPECT_EQ(failures->first()->failure_class, FailureClass::kUnresponsive);
  EXPECT_EQ(failures->first()->checker, "watchdog");
  EXPECT_THAT(failures->first()->message, HasSubstr("request 'append'"));
  // Broken: every later call answers at once.
  EXPECT_FALSE(system->local(insert(1)).is_ok());
  EXPECT_EQ(system->head(), Head{});
  EXPECT_TRUE(system->check_invariants().has_value());

  RunResult run;
  run.stats.ticks = 12;
  adopt_external_failure(*failures, run);
  ASSERT_TRUE(run.failure.has_value());
  EXPECT_EQ(run.failure->failure_class, FailureClass::kUnresponsive);
  EXPECT_EQ(run.failure->tick, 12u);
  EXPECT_FALSE(failures->first().has_value());
}

TEST(ExternalFailures, FirstTransportFailureReplacesTheFailureItCausedAtItsTick) {
  ExternalFailures failures;
  failures.note(Failure{FailureClass::kUnresponsive, "watchdog", 0, std::nullopt,
                        "adapter of replica b: request 'append' (#9): no response", ""});
  failures.note(Failure{FailureClass::kCorrectness, "protocol", 0, std::nullopt, "later", ""});
  RunResult run;
  run.failure = Failure{FailureClass::kCorrectness,
                        "append",
                        41,
                        1,
                        "append failed without an armed fault: internal error: ...",
                        ""};
  adopt_external_failure(failures, run);
  ASSERT_TRUE(run.failure.has_value());
  EXPECT_EQ(run.failure->failure_class, FailureClass::kUnresponsive);
  EXPECT_EQ(run.failure->checker, "watchdog");
  EXPECT_EQ(run.failure->tick, 41u);
  EXPECT_EQ(run.failure->replica, 1u);
  ASSERT_FALSE(run.recent_events.empty());
  EXPECT_THAT(run.recent_events.back(),
              HasSubstr("t41 unresponsive/watchdog: adapter of replica b"));
  EXPECT_EQ(failure_exit_code(run.failure->failure_class), 15);
}

}  // namespace
}  // namespace treesim
