Feature: broken table
  Scenario: a step then stray text
    Given the call "job-interview"
    | a |
    this line is not a step
