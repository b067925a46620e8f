// blockspec/optim/optim.hpp — the optim layer: the Problem concept, the optimizer zoo, the deep
// linear network, schedules, the runner and learning-rate tuning.
#pragma once

#include <blockspec/optim/adam.hpp>
#include <blockspec/optim/agd.hpp>
#include <blockspec/optim/adam_mini.hpp>
#include <blockspec/optim/blockwise_gd.hpp>
#include <blockspec/optim/deep_linear.hpp>
#include <blockspec/optim/gd.hpp>
#include <blockspec/optim/muon.hpp>
#include <blockspec/optim/nag_gs.hpp>
#include <blockspec/optim/optimizer.hpp>
#include <blockspec/optim/problem.hpp>
#include <blockspec/optim/prodigy.hpp>
#include <blockspec/optim/rmsprop.hpp>
#include <blockspec/optim/run_steps.hpp>
#include <blockspec/optim/runner.hpp>
#include <blockspec/optim/schedule.hpp>
#include <blockspec/optim/sign_descent.hpp>
#include <blockspec/optim/step_size.hpp>
#include <blockspec/optim/tune.hpp>
