// blockspec/lab/lab.hpp — the lab component (blockspec::lab): the quadratic lab's tools that are
// not core API: optimizers chosen by name, the paper's study, its file format and the paper's JS0.
// Needs the io component (and so xtensor); link blockspec::lab.
#pragma once

#include <blockspec/lab/any_optimizer.hpp>
#include <blockspec/lab/blockwise_files.hpp>
#include <blockspec/lab/paper_js.hpp>
#include <blockspec/lab/study.hpp>
