Feature: params from a table
  Scenario: a row with a cell missing
    Given the call "job-interview"
    And the call's params are:
      | param          | value |
      | application_id |
