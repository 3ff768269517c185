Feature: a word where a number goes
  Scenario: status
    Given the call "job-interview"
    When the platform delivers the "call.started" event
    Then the answer status is two hundred
