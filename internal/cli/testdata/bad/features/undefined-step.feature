Feature: a typo in a step
  Scenario: whole call
    Given the call "job-interview"
    When the platfrom delivers the whole cal
    Then every event is acknowledged
