Feature: nothing to run yet
  As QA I will write scenarios here.
