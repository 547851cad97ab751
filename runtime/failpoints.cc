#include "runtime/failpoints.h"

#include "base/failpoint.h"

namespace faultline::runtime {

void RegisterRuntimeFailpoints() {
  struct Entry {
    const char* name;
    const char* description;
  };
  static constexpr Entry kSites[] = {
      {"source.read", "a source task is about to read the next batch from its input partition"},
      {"operator.process", "a keyed operator is about to apply a record to its state"},
      {"barrier.forward", "a task is about to forward a checkpoint barrier downstream"},
      {"snapshot.write", "a task is about to write its state snapshot for a checkpoint"},
      {"snapshot.ack", "a task is about to acknowledge a checkpoint to the coordinator"},
      {"sink.precommit", "the transactional sink is about to flush and fsync an epoch's file"},
      {"sink.commit.before_rename", "the sink is about to rename a pre-committed file into place"},
      {"sink.commit.after_rename", "the sink renamed a transaction but has not synced the dir"},
      {"sink.restore.commit",
       "a restoring sink is about to commit a pre-committed transaction it restored or adopted"},
      {"state.restore",
       "a keyed operator is about to load its key groups from the snapshots it restores"},
      {"checkpoint.shared.upload",
       "an incremental snapshot is about to write a new file to the shared directory"},
      {"checkpoint.shared.delete",
       "the coordinator is about to delete a shared file no retained checkpoint needs"},
      {"coordinator.checkpoint.before_metadata", "the coordinator is about to write _metadata"},
      {"coordinator.checkpoint.after_metadata_before_notify",
       "_metadata is durable; the coordinator has not yet told tasks the checkpoint completed"},
      {"coordinator.deploy", "the coordinator is about to deploy the job's tasks"},
      {"worker.heartbeat", "a worker is about to send a heartbeat to the coordinator"},
  };
  for (const Entry& e : kSites) failpoint::RegisterSite(e.name, e.description);
}

}  // namespace faultline::runtime
