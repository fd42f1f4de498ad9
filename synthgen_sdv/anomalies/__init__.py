"""anomalies"""
