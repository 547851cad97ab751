#pragma once

#include <string>
#include <vector>

namespace faultline::runtime {

// The subcommands of faultline-node. Each returns the process exit status: 0 success,
// 1 failure at run time, 2 bad usage or a bad config.
int CoordinatorCommand(const std::vector<std::string>& args);
int WorkerCommand(const std::vector<std::string>& args);
int ExampleConfigCommand(const std::vector<std::string>& args);
int ProduceCommand(const std::vector<std::string>& args);
int ConsumeCommand(const std::vector<std::string>& args);
int AdminCommand(const std::vector<std::string>& args);

}  // namespace faultline::runtime
