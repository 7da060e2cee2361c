# frozen_string_literal: true

# `require "tasker-batch"` (the gem's name) loads the same library as `require "tasker_batch"`.
require_relative "tasker_batch"
